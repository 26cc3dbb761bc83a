import { BadRequestException, Body as RawBody, Controller, Get, HttpCode, Post, UseGuards } from '@nestjs/common';
import { Body } from '../http/body';
import { AuthGuard, CurrentPrincipal } from './auth.guard';
import type { Principal } from './credentials.service';
import { UsersService } from './users.service';

const USERNAME = { min: 3, max: 32, pattern: /^[A-Za-z0-9_.-]+$/, what: '3-32 letters, digits, _ . or -' };
const EMAIL = { max: 254, pattern: /^[^\s@]+@[^\s@]+\.[^\s@]+$/, what: 'an email address' };

/** Passwords must be 8-128 characters with at least one letter and one digit. */
function password(field: string, body: Body): string {
  const value = body.string(field, { min: 8, max: 128 });
  if (!/[A-Za-z]/.test(value) || !/\d/.test(value)) {
    throw new BadRequestException(`"${field}" is too weak: use at least one letter and one digit`);
  }
  return value;
}

@Controller('auth')
export class AuthController {
  constructor(private readonly users: UsersService) {}

  @Post('register')
  register(@RawBody() raw: unknown) {
    const body = Body.of(raw);
    return this.users.register(body.string('username', USERNAME), password('password', body), body.optionalString('email', EMAIL));
  }

  @Post('login')
  @HttpCode(200)
  login(@RawBody() raw: unknown) {
    const body = Body.of(raw);
    return this.users.login(body.string('username', { max: 64 }), body.string('password', { max: 128 }));
  }

  @Post('regenerate')
  @HttpCode(200)
  @UseGuards(AuthGuard)
  regenerate(@CurrentPrincipal() principal: Principal) {
    return this.users.regenerate(principal.identity.userId);
  }

  @Post('newpassword')
  @HttpCode(200)
  @UseGuards(AuthGuard)
  async newPassword(@CurrentPrincipal() principal: Principal, @RawBody() raw: unknown) {
    const body = Body.of(raw);
    const oldPassword = body.string('old_password', { max: 128 });
    await this.users.changePassword(principal.identity.userId, oldPassword, password('new_password', body));
    return { success: true };
  }

  @Get('me')
  @UseGuards(AuthGuard)
  async me(@CurrentPrincipal() principal: Principal) {
    const { userId, username, email, permissions } = principal.identity;
    return { user_id: userId, username, email: email ?? null, permissions, via: principal.via };
  }
}
