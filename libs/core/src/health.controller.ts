import { Controller, Get } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { Readiness } from './readiness';

/** `/health/live`: the process answers. `/health/ready`: every registered dependency is up (else 503). */
@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly readiness: Readiness,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.indicator.check('process').up()]);
  }

  @Get('ready')
  @HealthCheck()
  async ready() {
    const states = Object.entries(await this.readiness.status());
    return this.health.check(states.map(([name, state]) => () => (state === true ? this.indicator.check(name).up() : this.indicator.check(name).down({ message: state }))));
  }
}
