import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { body, optional, text } from '../http/validation';
import { newPassword, PASSWORD_MAX } from './password-policy';

const username = text({ min: 3, max: 32, pattern: /^[A-Za-z0-9_.-]+$/, what: '3-32 letters, digits, _ . or -' });
/** zod's email form (letters, digits and `_'+-.` before the @, a dotted domain): no quotes, spaces or angle brackets. Unique regardless of case. */
const email = text({ max: 254, pattern: z.regexes.email, what: 'an email address' });

export class RegisterDto extends createZodDto(body({ username, password: newPassword(), email: optional(email) })) {}

export class LoginDto extends createZodDto(body({ username: text({ max: 64 }), password: text({ max: PASSWORD_MAX }) })) {}

export class NewPasswordDto extends createZodDto(
  body({
    old_password: text({ max: PASSWORD_MAX }),
    new_password: newPassword(),
    rotate_api_key: z
      .boolean({ error: 'must be true or false' })
      .optional()
      .describe(
        'true: the API key is replaced too (the old one stops working at once, its connections close with 4001) and the new one is in the answer. ' +
          'Absent or false: the API key stays valid. Every JWT issued before the change stops working either way.',
      ),
  }),
) {}

export class PasswordChangedDto extends createZodDto(
  z.object({
    success: z.literal(true),
    api_key: z.string().optional().describe('the new API key, only when the request had rotate_api_key: true; shown once'),
  }),
) {}

export class RegisteredDto extends createZodDto(
  z.object({ user_id: z.string(), api_key: z.string().describe('shown once: only its hash is stored') }),
) {}

export class TokenDto extends createZodDto(
  z.object({ access_token: z.string().describe('a JWT'), token_type: z.literal('Bearer'), expires_in: z.number().int().describe('seconds') }),
) {}

export class ApiKeyDto extends createZodDto(z.object({ api_key: z.string() })) {}

export class MeDto extends createZodDto(
  z.object({
    user_id: z.string(),
    username: z.string(),
    email: z.string().nullable(),
    permissions: z.array(z.string()),
    via: z.enum(['jwt', 'api_key']),
  }),
) {}
