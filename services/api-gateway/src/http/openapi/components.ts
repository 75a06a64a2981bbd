import * as contract from '@chat/contract';
import type { TSchema } from '@chat/contract';
import type { Header, OpenApiDocument, Parameter, Schema } from './types.js';

/**
 * The document's named schemas, each generated from the contract
 * (@chat/contract): what the services check requests with, and what they
 * answer. A part of one that is another is written as a `$ref` to it.
 */
const NAMED: Record<string, TSchema> = {
  Id: contract.ResourceId,
  Timestamp: contract.Timestamp,
  ErrorCode: contract.ErrorCode,
  ErrorDetail: contract.ErrorDetail,
  Error: contract.ErrorBody,
  // Requests
  Username: contract.Username,
  Email: contract.Email,
  Password: contract.Password,
  RegisterRequest: contract.RegisterRequest,
  LoginRequest: contract.LoginRequest,
  RefreshTokenRequest: contract.RefreshTokenRequest,
  ChangePasswordRequest: contract.ChangePasswordRequest,
  SettingsPatch: contract.SettingsPatch,
  ProfilePatch: contract.ProfilePatch,
  CreateRoomRequest: contract.CreateRoomRequest,
  UpdateRoomRequest: contract.UpdateRoomRequest,
  RoleRequest: contract.RoleRequest,
  UserIdRequest: contract.UserIdRequest,
  MessageBody: contract.MessageBody,
  SendMessageRequest: contract.SendMessageRequest,
  EditMessageRequest: contract.EditMessageRequest,
  ReadRequest: contract.ReadRequest,
  // Responses
  User: contract.User,
  UserEnvelope: contract.UserEnvelope,
  Tokens: contract.Tokens,
  AuthSession: contract.AuthSession,
  Jwk: contract.Jwk,
  JwkSet: contract.JwkSet,
  Settings: contract.Settings,
  Profile: contract.Profile,
  PublicProfile: contract.PublicProfile,
  ProfileList: contract.ProfileList,
  Role: contract.Role,
  Room: contract.Room,
  MyRoom: contract.MyRoom,
  Member: contract.Member,
  RoomDetail: contract.RoomDetail,
  RoomList: contract.RoomList,
  MyRoomList: contract.MyRoomList,
  MemberRole: contract.MemberRole,
  Message: contract.Message,
  MessagePage: contract.MessagePage,
  Health: contract.Health,
  // Socket.IO (x-socket-io)
  SocketAckError: contract.SocketAckError,
};

/** A contract schema where the document uses it: a reference when it is a named one, else with its named parts as references. */
export const jsonSchema = (schema: TSchema): Schema => contract.toJsonSchema(schema, { named: NAMED, refRoot: true });

const schemas: Record<string, Schema> = Object.fromEntries(
  Object.entries(NAMED).map(([name, schema]) => [name, contract.toJsonSchema(schema, { named: NAMED })]),
);

const parameters: Record<string, Parameter> = {
  XRequestIdIn: {
    name: 'X-Request-Id',
    in: 'header',
    required: false,
    description:
      'An id for this request, echoed in the response and carried to every service the request touches (their logs show it). 1–128 characters of letters, digits, `_ . : -`; any other value is replaced by a generated one.',
    schema: { type: 'string', pattern: String.raw`^[\w.:\-]{1,128}$` },
  },
  RoomId: { name: 'roomId', in: 'path', required: true, description: 'The room id.', schema: jsonSchema(contract.PathParams.roomId) },
  UserId: { name: 'userId', in: 'path', required: true, description: 'The user id.', schema: jsonSchema(contract.PathParams.userId) },
  Seq: {
    name: 'seq',
    in: 'path',
    required: true,
    description: "The message's `seq` in the room.",
    schema: jsonSchema(contract.PathParams.seq),
  },
};

const headers: Record<string, Header> = {
  XRequestId: {
    description: 'The request id: the one the client sent in `X-Request-Id` (if valid), else a generated UUID.',
    required: true,
    schema: { type: 'string' },
  },
  XTraceId: {
    description:
      "The W3C trace this request started (32 hex digits): every service's spans and log lines for it carry it. A client's `traceparent` is not continued.",
    required: true,
    schema: { type: 'string', pattern: '^[0-9a-f]{32}$' },
  },
  WWWAuthenticate: {
    description: 'Always `Bearer` on a 401.',
    required: true,
    schema: { type: 'string', const: 'Bearer' },
  },
  RetryAfterRequired: {
    description: 'Whole seconds to wait before trying again.',
    required: true,
    schema: { type: 'integer', minimum: 1 },
  },
  RetryAfter: {
    description: 'Whole seconds to wait before trying again.',
    required: false,
    schema: { type: 'integer', minimum: 1 },
  },
  ETag: {
    description: 'A validator of the bytes served (an image, a file of the docs page); send it back in `If-None-Match` to get `304` while they are unchanged.',
    required: true,
    schema: { type: 'string' },
  },
  CacheControl: {
    description: 'How long the bytes may be cached, or (`no-cache`) that they must be revalidated first.',
    required: false,
    schema: { type: 'string' },
  },
};

export const components: OpenApiDocument['components'] = {
  schemas,
  parameters,
  headers,
  securitySchemes: {
    bearerAuth: {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description:
        'An access token from `POST /api/auth/register`, `/login` or `/refresh`: a JWT signed with ES256, valid for 15 minutes (`expiresIn`: 900), verifiable with `GET /api/auth/jwks`. A missing, malformed, expired or forged token answers `401 unauthenticated` with `WWW-Authenticate: Bearer`.',
    },
  },
};
