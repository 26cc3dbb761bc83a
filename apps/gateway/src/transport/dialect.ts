import type { Provider, Type } from '@nestjs/common';
import type { SwitchboardConfig } from '@switchboard/config';
import type { Codec, JoinStyle } from '@switchboard/protocol';

/** How an endpoint authenticates. */
export interface CredentialRule {
  /** Always needs a credential (else only when WEBSOCKET_REQUIRE_AUTH=true). */
  required: boolean;
  /** Also accepts an API key issued by the api (`X-API-Key`, `?api_key=`), besides a JWT. */
  apiKey: boolean;
}

/** What a path told about the connection: a room to join on connect, if any. */
export interface RouteParams {
  room?: string;
  style?: JoinStyle;
  /** A session to resume, as the dialect reads it from the query (signaling `?resume=`). */
  resume?: string;
}

/**
 * Nest token for the dialect table (`DIALECTS`, given by the gateway module). The transport
 * takes the table from here, so it never imports the dialects' gateways — nor the hub behind them.
 */
export const DIALECT_TABLE = Symbol('DIALECT_TABLE');

/** A request the path matched but whose parameters are wrong (answered 400). */
export interface BadRoute {
  bad: string;
}

/**
 * A wire dialect, whole: everything the gateway needs to serve it. Adding a dialect is a
 * folder with its gateway and one of these, and its line in the table (`DIALECTS`); routing,
 * authentication, the codec map, the room renderers and the module's providers all read it
 * from there.
 */
export interface Dialect {
  /** Stable name (logs, docs). */
  readonly name: string;
  /** The path its gateway is registered under (`@WebSocketGateway({ path })`). */
  readonly path: string;
  /** The Nest gateway class whose `@SubscribeMessage(kind)` handlers take its commands. */
  readonly gateway: Type<unknown>;
  /** Services of its own the gateway needs (the module provides them). */
  readonly providers?: readonly Provider[];
  /** Decodes its frames and renders replies (and events outside rooms). */
  readonly codec: Codec;
  /** The codec that renders room events to a member, by the join style its codec decodes. */
  readonly styles: Readonly<Record<JoinStyle, Codec>>;
  readonly credential: CredentialRule;
  /** Largest frame a client may send here (default WEBSOCKET_MAX_MESSAGE_SIZE). */
  maxMessageSize?(config: SwitchboardConfig): number;
  /**
   * Claims a request path (no trailing slash): its parameters, a BadRoute, or undefined
   * when the path is not this dialect's.
   */
  match(path: string, query: URLSearchParams): RouteParams | BadRoute | undefined;
}
