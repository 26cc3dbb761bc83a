import { Body, Controller, Get, HttpCode, Post, UseGuards, UseInterceptors, UsePipes } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiCredentials, ApiErrors } from '../http/openapi';
import { ApiValidationPipe } from '../http/validation';
import { ApiKeyDto, LoginDto, MeDto, NewPasswordDto, PasswordChangedDto, RegisterDto, RegisteredDto, TokenDto } from './auth.dto';
import { AuthGuard, CurrentPrincipal } from './auth.guard';
import { AuthThrottlerGuard } from './auth-throttling';
import type { Principal } from './credentials.service';
import { LoginFailureLimit } from './login-failure-limit';
import { UsersService } from './users.service';

@ApiTags('auth')
@UsePipes(ApiValidationPipe)
@Controller('auth')
export class AuthController {
  constructor(private readonly users: UsersService) {}

  @Post('register')
  @UseGuards(AuthThrottlerGuard)
  @ApiCreatedResponse({ type: RegisteredDto })
  @ApiErrors(400, 409, 429)
  register(@Body() body: RegisterDto) {
    return this.users.register(body.username, body.password, body.email);
  }

  @Post('login')
  @HttpCode(200)
  // Per IP every attempt counts; per username only failures (LoginFailureLimit).
  @UseGuards(AuthThrottlerGuard)
  @SkipThrottle({ username: true })
  @UseInterceptors(LoginFailureLimit)
  @ApiOkResponse({ type: TokenDto })
  @ApiErrors(400, 401, 429)
  login(@Body() body: LoginDto) {
    return this.users.login(body.username, body.password);
  }

  @Post('regenerate')
  @HttpCode(200)
  @UseGuards(AuthGuard, AuthThrottlerGuard)
  @ApiCredentials()
  @ApiErrors(429)
  @ApiOkResponse({ type: ApiKeyDto, description: 'the new key; the old one stops working at once' })
  regenerate(@CurrentPrincipal() principal: Principal) {
    return this.users.regenerate(principal.identity.userId);
  }

  @Post('newpassword')
  @HttpCode(200)
  @UseGuards(AuthGuard, AuthThrottlerGuard)
  @ApiCredentials()
  @ApiOkResponse({
    type: PasswordChangedDto,
    description: 'every JWT issued before stops working; the API key is replaced only with rotate_api_key: true (the new one is in the answer)',
  })
  @ApiErrors(400, 429)
  async newPassword(@CurrentPrincipal() principal: Principal, @Body() body: NewPasswordDto) {
    const rotated = await this.users.changePassword(principal.identity.userId, body.old_password, body.new_password, { rotateApiKey: body.rotate_api_key === true });
    return rotated === undefined ? { success: true } : { success: true, api_key: rotated.api_key };
  }

  @Get('me')
  @UseGuards(AuthGuard)
  @ApiCredentials()
  @ApiOkResponse({ type: MeDto })
  async me(@CurrentPrincipal() principal: Principal) {
    const { userId, username, email, permissions } = principal.identity;
    return { user_id: userId, username, email: email ?? null, permissions, via: principal.via };
  }
}
