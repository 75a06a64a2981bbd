import { BEARER, PUBLIC, commonParameters, empty, errorResponse, jsonContent, ok, schemaRef, standardErrors } from './common.js';
import type { Paths } from './types.js';

const TAG = ['Auth'];

const REGISTER_RULES =
  'username: 3–32 characters of `a-z 0-9 _ . -` (upper-case letters are accepted and stored lower-case), unique case-insensitively. ' +
  'email: a valid address, unique case-insensitively. password: 8–128 characters, any characters, not equal to the username or the e-mail address. ' +
  'displayName (optional): a display name as a profile takes it (1–64 characters, one line, nothing hidden or direction-changing, something that shows), defaults to the username. Unknown fields are refused.';

const LOGIN_FAILURES =
  'Wrong login or password: `401 invalid_credentials`, with the same message and a similar response time whether the user exists or not. ' +
  'Repeated failures for one account or from one client address: `429 rate_limited` with `Retry-After`.';

const invalidCredentials = (why: string) => errorResponse(401, why, ['invalid_credentials']);

export const authPaths: Paths = {
  '/api/auth/register': {
    post: {
      operationId: 'register',
      summary: 'Create an account',
      description:
        `Creates a user and signs it in (a first session). The user's profile is created from the registration, with \`displayName\` defaulting to the username.\n\n${REGISTER_RULES}\n\n` +
        'A taken username or e-mail address: `409 conflict`, and the message says which.',
      tags: TAG,
      security: PUBLIC,
      parameters: commonParameters(),
      requestBody: { description: 'The new account.', required: true, content: jsonContent(schemaRef('RegisterRequest')) },
      responses: {
        201: ok('The user and its first tokens.', schemaRef('AuthSession')),
        ...standardErrors({
          auth: false,
          body: true,
          validation: '`validation_failed`: a field breaks the rules above, a required one is missing, or an unknown field was sent (each one in `details`).',
          more: {
            409: errorResponse(
              409,
              'The username or the e-mail address is taken (case-insensitively); the message says which, and `details` names the field (`body.username` or `body.email`).',
            ),
          },
        }),
      },
    },
  },
  '/api/auth/login': {
    post: {
      operationId: 'login',
      summary: 'Sign in',
      description: `Starts a new session from a username or e-mail address (any case) and the password.\n\n${LOGIN_FAILURES}`,
      tags: TAG,
      security: PUBLIC,
      parameters: commonParameters(),
      requestBody: { description: 'The credentials.', required: true, content: jsonContent(schemaRef('LoginRequest')) },
      responses: {
        200: ok("The user and the new session's tokens.", schemaRef('AuthSession')),
        ...standardErrors({
          auth: false,
          body: true,
          validation: '`validation_failed`: `login` or `password` is missing or not a string, or an unknown field was sent.',
          more: {
            401: invalidCredentials('`invalid_credentials`: wrong login or password (the same answer whether the user exists or not).'),
            429: errorResponse(429, 'Too many failed logins for this account or from this client address; wait `Retry-After` seconds.'),
          },
        }),
      },
    },
  },
  '/api/auth/refresh': {
    post: {
      operationId: 'refreshTokens',
      summary: 'Trade a refresh token for new tokens',
      description:
        'Rotates the session: answers a new access token and a new refresh token, and the refresh token that was sent is spent. ' +
        'Always keep the newest refresh token. Presenting a refresh token that was already spent is taken as theft (reuse detection): ' +
        'it answers `401 unauthenticated` and revokes the whole chain of sessions that token belonged to, so the legitimate holder must sign in again. ' +
        'An unknown, expired or revoked refresh token also answers `401 unauthenticated`.',
      tags: TAG,
      security: PUBLIC,
      parameters: commonParameters(),
      requestBody: { description: 'The newest refresh token of the session.', required: true, content: jsonContent(schemaRef('RefreshTokenRequest')) },
      responses: {
        200: ok('New tokens; the old refresh token is spent.', schemaRef('Tokens')),
        ...standardErrors({
          auth: false,
          body: true,
          validation: '`validation_failed`: `refreshToken` is missing or not a string, or an unknown field was sent.',
          more: {
            401: errorResponse(
              401,
              '`unauthenticated`: the refresh token is unknown, expired, revoked, or already spent (in which case its whole chain of sessions is now revoked).',
            ),
          },
        }),
      },
    },
  },
  '/api/auth/logout': {
    post: {
      operationId: 'logout',
      summary: 'End a session',
      description:
        'Revokes the session of this refresh token. Needs no access token (it may have expired). Idempotent: a token that is already revoked, spent or unknown also answers `204`. ' +
        'Access tokens already issued stay valid until they expire (at most 15 minutes).',
      tags: TAG,
      security: PUBLIC,
      parameters: commonParameters(),
      requestBody: { description: "The session's refresh token.", required: true, content: jsonContent(schemaRef('RefreshTokenRequest')) },
      responses: {
        204: empty('The session is ended.'),
        ...standardErrors({
          auth: false,
          body: true,
          validation: '`validation_failed`: `refreshToken` is missing or not a string, or an unknown field was sent.',
        }),
      },
    },
  },
  '/api/auth/me': {
    get: {
      operationId: 'getMe',
      summary: 'The signed-in user',
      description: 'The user of the access token.',
      tags: TAG,
      security: BEARER,
      parameters: commonParameters(),
      responses: {
        200: ok('The user.', schemaRef('UserEnvelope')),
        ...standardErrors({ auth: true, body: false }),
      },
    },
  },
  '/api/auth/password': {
    post: {
      operationId: 'changePassword',
      summary: 'Change the password',
      description:
        'Checks `currentPassword`, sets `newPassword` (8–128 characters, not equal to the username or the e-mail address), and revokes the refresh token of every other session of the user; ' +
        'the session that made the call stays signed in. Access tokens already issued stay valid until they expire (at most 15 minutes).',
      tags: TAG,
      security: BEARER,
      parameters: commonParameters(),
      requestBody: { description: 'The current and the new password.', required: true, content: jsonContent(schemaRef('ChangePasswordRequest')) },
      responses: {
        204: empty('The password is changed; every other session is signed out.'),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: `newPassword` breaks the password rules, a field is missing, or an unknown field was sent.',
          more: {
            401: errorResponse(
              401,
              '`unauthenticated`: the access token is missing, malformed, expired or forged. `invalid_credentials`: `currentPassword` is wrong.',
              ['unauthenticated', 'invalid_credentials'],
            ),
            409: errorResponse(409, 'The account changed at the same moment (e.g. another password change); try again.'),
            429: errorResponse(429, 'Too many wrong `currentPassword` attempts, or too many requests; wait `Retry-After` seconds.'),
          },
        }),
      },
    },
  },
  '/api/auth/jwks': {
    get: {
      operationId: 'getJwks',
      summary: 'Keys that verify access tokens',
      description:
        'The JSON Web Key Set (RFC 7517) of the public keys that verify access tokens (ES256). A token names its key in the `kid` of its header. ' +
        'Cache it, and fetch it again when a token names a `kid` that is not in your copy.',
      tags: TAG,
      security: PUBLIC,
      parameters: commonParameters(),
      responses: {
        200: ok('The key set.', schemaRef('JwkSet')),
        ...standardErrors({ auth: false, body: false }),
      },
    },
  },
};
