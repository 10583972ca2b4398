import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  MaxLength,
  ValidateBy,
  ValidateIf,
} from 'class-validator';
import { CodePointLength, Trim } from '../../common/validation';
import { checkUrl, TargetRefused } from '../webhook-targets';

/** Why the URL's shape (scheme, credentials) is refused, or null. */
function urlShapeProblem(value: string): string | null {
  try {
    checkUrl(value, { allowHttp: true, allowPrivate: true });
    return null;
  } catch (error) {
    if (error instanceof TargetRefused) return error.message;
    throw error;
  }
}

// class-validator runs a property's decorators bottom-up: the type check (lowest) comes first.

/** The events a webhook can subscribe to; `*` is all of them. */
export const WEBHOOK_EVENTS = [
  'task.created',
  'task.updated',
  'task.completed',
  'task.deleted',
  'task.restored',
  'list.created',
  'list.updated',
  'list.deleted',
] as const;
const EVENTS_MESSAGE = `events must be a non-empty list of ${WEBHOOK_EVENTS.join(', ')}, or ["*"] for all`;

export class CreateWebhookDto {
  @ApiProperty({
    maxLength: 2048,
    example: 'https://hooks.example.com/task-api',
    description:
      'http or https without credentials (production: https only unless WEBHOOK_ALLOW_HTTP); not a loopback, private, link-local or multicast address unless WEBHOOK_ALLOW_PRIVATE',
  })
  @ValidateBy({
    name: 'webhookUrl',
    validator: {
      // Its shape here, with the other fields' errors; the production and address rules, which
      // need the configuration and DNS, in WebhooksService.
      validate: (value: unknown) => typeof value === 'string' && urlShapeProblem(value) === null,
      defaultMessage: (args) => urlShapeProblem(String(args?.value)) ?? 'url is not valid',
    },
  })
  @MaxLength(2048, { message: 'url must be at most 2048 characters' })
  @IsString({ message: 'url must be a string' })
  url: string;

  @ApiProperty({
    type: [String],
    enum: [...WEBHOOK_EVENTS, '*'],
    minItems: 1,
    maxItems: WEBHOOK_EVENTS.length,
    example: ['task.created', 'task.completed'],
  })
  @IsIn([...WEBHOOK_EVENTS, '*'], { each: true, message: EVENTS_MESSAGE })
  @ArrayMaxSize(WEBHOOK_EVENTS.length, { message: EVENTS_MESSAGE })
  @ArrayNotEmpty({ message: EVENTS_MESSAGE })
  @IsArray({ message: EVENTS_MESSAGE })
  events: string[];

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 500 })
  @Trim()
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @CodePointLength(0, 500)
  @IsString({ message: 'description must be a string or null' })
  description?: string | null;
}

export class UpdateWebhookDto extends PartialType(CreateWebhookDto, { skipNullProperties: false }) {
  @ApiPropertyOptional({ description: 'false: it receives nothing until made active again' })
  @IsOptional()
  @IsBoolean({ message: 'active must be true or false' })
  active?: boolean;
}

export class WebhookResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ example: 'https://hooks.example.com/task-api' })
  url: string;

  @ApiProperty({ type: [String], example: ['task.created', 'task.completed'] })
  events: string[];

  @ApiProperty({ type: String, nullable: true })
  description: string | null;

  @ApiProperty({
    description: 'An inactive webhook receives nothing (made so after 8 failed attempts)',
  })
  active: boolean;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ format: 'date-time' })
  updated_at: string;
}

export class CreatedWebhookResponse extends WebhookResponse {
  @ApiProperty({
    description:
      'The signing secret (`whsec_` + base64 of 32 random bytes), shown only in this answer: verify each delivery with it (Standard Webhooks)',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  })
  secret: string;
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid' })
  id: string;

  @ApiProperty({ format: 'uuid', description: 'The `webhook-id` header: the same on every retry' })
  event_id: string;

  @ApiProperty({ example: 'task.created' })
  type: string;

  @ApiProperty({ enum: ['pending', 'succeeded', 'failed'] })
  status: 'pending' | 'succeeded' | 'failed';

  @ApiProperty({ type: 'integer' })
  attempts: number;

  @ApiProperty({ type: 'integer', nullable: true, description: "The last attempt's HTTP status" })
  response_status: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why the last attempt failed' })
  error: string | null;

  @ApiProperty({ format: 'date-time' })
  created_at: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  delivered_at: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  next_attempt_at: string | null;
}
