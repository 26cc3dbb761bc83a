import { BadRequestException } from '@nestjs/common';

/** Reads a JSON body field by field; every failure is a 400 naming the field and what it needs. */
export class Body {
  private constructor(private readonly body: Record<string, unknown>) {}

  static of(body: unknown): Body {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new BadRequestException('request body must be a JSON object (Content-Type: application/json)');
    }
    return new Body(body as Record<string, unknown>);
  }

  string(field: string, opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): string {
    const value = this.body[field];
    if (value === undefined || value === null || value === '') throw new BadRequestException(`"${field}" is required`);
    if (typeof value !== 'string') throw new BadRequestException(`"${field}" must be a string`);
    return this.check(field, value, opts);
  }

  optionalString(field: string, opts: { min?: number; max?: number; pattern?: RegExp; what?: string } = {}): string | undefined {
    const value = this.body[field];
    if (value === undefined || value === null || value === '') return undefined;
    if (typeof value !== 'string') throw new BadRequestException(`"${field}" must be a string`);
    return this.check(field, value, opts);
  }

  /** Any JSON value, required. */
  value(field: string): unknown {
    const value = this.body[field];
    if (value === undefined) throw new BadRequestException(`"${field}" is required`);
    return value;
  }

  optional(field: string): unknown {
    return this.body[field];
  }

  private check(field: string, value: string, opts: { min?: number; max?: number; pattern?: RegExp; what?: string }): string {
    if (opts.min !== undefined && value.length < opts.min) throw new BadRequestException(`"${field}" must be at least ${opts.min} characters`);
    if (opts.max !== undefined && value.length > opts.max) throw new BadRequestException(`"${field}" must be at most ${opts.max} characters`);
    if (opts.pattern && !opts.pattern.test(value)) throw new BadRequestException(`"${field}" must be ${opts.what ?? `like ${opts.pattern}`}`);
    return value;
  }
}
