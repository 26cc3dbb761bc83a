export { sleep, until } from '../../../../libs/testing/until';
export { redisGatewayEnv, TEST_CONNECTION_TIMEOUT_MS, TEST_HEARTBEAT_MS } from '../../../../libs/testing/gateway-env';
