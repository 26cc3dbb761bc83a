import { loadConfig, type SwitchboardConfig } from '@switchboard/config';
import { TEST_SECRET } from '@switchboard/testing';
import { type RunningGateway, startGateway } from '@switchboard/gateway';


/** Starts a gateway in this process on a free port, configured like the environment would. */
export async function startTestGateway(env: Record<string, string> = {}): Promise<RunningGateway & { url: string; http: string; config: SwitchboardConfig }> {
  const config = loadConfig({ JWT_SECRET: TEST_SECRET, PORT: '0', HOST: '127.0.0.1', ...env });
  const gw = await startGateway(config, false);
  return { ...gw, config, url: `ws://127.0.0.1:${gw.port}`, http: `http://127.0.0.1:${gw.port}` };
}
