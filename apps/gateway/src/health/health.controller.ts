import { Controller, Get, Inject } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { BUS, type Bus } from '../../../../libs/bus/src';
import { HandshakeService } from '../transport/handshake.service';

/** Liveness (the process answers) and readiness (the bus is live and we are not draining). */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    @Inject(BUS) private readonly bus: Bus,
    private readonly handshake: HandshakeService,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicator.check('process').up()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => (this.bus.isReady() ? this.indicator.check('bus').up() : this.indicator.check('bus').down({ message: 'bus subscriptions not live' })),
      () => (this.handshake.isDraining ? this.indicator.check('gateway').down({ message: 'draining' }) : this.indicator.check('gateway').up()),
    ]);
  }
}
