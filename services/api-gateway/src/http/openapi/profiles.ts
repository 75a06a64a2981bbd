import { BEARER, PUBLIC, commonParameters, errorResponse, headerRef, jsonContent, ok, paramRef, schemaRef, standardErrors } from './common.js';
import type { Paths } from './types.js';

const TAG = ['Profiles'];

/** What PUT /api/profiles/me/avatar accepts, and what GET .../avatar answers with. */
export const AVATAR_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
export const AVATAR_MAX_BYTES = 1024 * 1024;

const EXISTS_FROM_REGISTRATION =
  'A profile exists as soon as its user is registered: a read that races the registration event still answers with the defaults (displayName = username, empty bio, no avatar, default settings), never 404 for a real user.';

const binary = (type: string) => ({ schema: { type: 'string', contentMediaType: type } });

export const profilePaths: Paths = {
  '/api/profiles/me': {
    get: {
      operationId: 'getMyProfile',
      summary: 'My profile',
      description: `The caller's profile, settings included.\n\n${EXISTS_FROM_REGISTRATION}`,
      tags: TAG,
      security: BEARER,
      parameters: commonParameters(),
      responses: {
        200: ok("The caller's profile.", schemaRef('Profile')),
        ...standardErrors({ auth: true, body: false }),
      },
    },
    patch: {
      operationId: 'updateMyProfile',
      summary: 'Change my profile',
      description:
        'Changes any of `displayName` (1–64 characters after trimming, one line, no characters that hide or turn text around, at least one that shows), `bio` (at most 500 characters), `avatarUrl` (an `https:` URL, or `null` to remove it) and `settings` ' +
        '(`theme`: `system`|`light`|`dark`, `notifications`: `all`|`mentions`|`none`; the settings left out keep their value). ' +
        'Fields left out are unchanged. Unknown fields, here or inside `settings`: `400 validation_failed`.',
      tags: TAG,
      security: BEARER,
      parameters: commonParameters(),
      requestBody: { description: 'The fields to change.', required: true, content: jsonContent(schemaRef('ProfilePatch')) },
      responses: {
        200: ok('The updated profile.', schemaRef('Profile')),
        ...standardErrors({
          auth: true,
          body: true,
          validation: '`validation_failed`: a field breaks its rule, or a field is unknown (each one in `details`, e.g. `body.settings.theme`).',
          more: { 409: errorResponse(409, 'The profile kept changing while this update was applied (concurrent updates); try again.') },
        }),
      },
    },
  },
  '/api/profiles/me/avatar': {
    put: {
      operationId: 'uploadMyAvatar',
      summary: 'Upload my avatar image',
      description:
        'The body is the raw image (not JSON, not multipart), at most 1 MiB, with `Content-Type` `image/png`, `image/jpeg` or `image/webp`. ' +
        'The real type is checked from the bytes: bytes that are not an image of one of these types are refused with `415`. ' +
        'On success `avatarUrl` points at the stored image, served by `GET /api/profiles/{userId}/avatar`; a new upload replaces it.',
      tags: TAG,
      security: BEARER,
      parameters: commonParameters(),
      requestBody: {
        description: 'The image bytes (at most 1 MiB = 1,048,576 bytes).',
        required: true,
        content: Object.fromEntries(AVATAR_TYPES.map((type) => [type, binary(type)])),
        'x-max-bytes': AVATAR_MAX_BYTES,
      },
      responses: {
        200: ok('The updated profile; `avatarUrl` points at the stored image.', schemaRef('Profile')),
        ...standardErrors({
          auth: true,
          body: false,
          more: {
            400: errorResponse(400, '`validation_failed`: the body is empty.', ['validation_failed']),
            409: errorResponse(409, 'The profile kept changing while this upload was applied (concurrent updates); try again.'),
            413: errorResponse(413, 'The image is larger than 1 MiB.'),
            415: errorResponse(
              415,
              'The `Content-Type` is not `image/png`, `image/jpeg` or `image/webp`, or the bytes are not an image of one of those types.',
            ),
          },
        }),
      },
    },
  },
  '/api/profiles/{userId}/avatar': {
    get: {
      operationId: 'getAvatar',
      summary: "A user's avatar image",
      description:
        'The image uploaded with `PUT /api/profiles/me/avatar`, with its content type (and `X-Content-Type-Options: nosniff`). ' +
        "Public, unlike the other profile routes: an avatar is shown wherever its user appears, so `avatarUrl` works as a plain `<img src>`. The URL carries the image's content hash (`?v=`), so a new upload is a new URL. " +
        'It carries an `ETag`: send it back in `If-None-Match` to get `304 Not Modified` while the image is unchanged. ' +
        'A user without an uploaded image (none, or an external `https:` `avatarUrl`): `404`.',
      tags: TAG,
      security: PUBLIC,
      parameters: commonParameters(paramRef('UserId'), {
        name: 'If-None-Match',
        in: 'header',
        required: false,
        description: 'The `ETag` of the copy the client holds.',
        schema: { type: 'string' },
      }),
      responses: {
        200: {
          description: 'The image bytes.',
          headers: { 'X-Request-Id': headerRef('XRequestId'), ETag: headerRef('ETag'), 'Cache-Control': headerRef('CacheControl') },
          content: Object.fromEntries(AVATAR_TYPES.map((type) => [type, binary(type)])),
        },
        304: {
          description: 'The image is unchanged since the `ETag` in `If-None-Match`; no body.',
          headers: { 'X-Request-Id': headerRef('XRequestId'), ETag: headerRef('ETag'), 'Cache-Control': headerRef('CacheControl') },
        },
        ...standardErrors({
          auth: false,
          body: false,
          validation: '`validation_failed`: `userId` is not a valid id (`me` is not accepted here: the route is public).',
          more: { 404: errorResponse(404, 'No such user, or the user has no uploaded avatar image.') },
        }),
      },
    },
  },
  '/api/profiles/{userId}': {
    get: {
      operationId: 'getProfile',
      summary: "A user's public profile",
      description: `The public profile (without \`settings\`) of any user.\n\n${EXISTS_FROM_REGISTRATION}`,
      tags: TAG,
      security: BEARER,
      parameters: commonParameters(paramRef('UserId')),
      responses: {
        200: ok('The public profile.', schemaRef('PublicProfile')),
        ...standardErrors({
          auth: true,
          body: false,
          validation: '`validation_failed`: `userId` is not a valid id.',
          more: { 404: errorResponse(404, 'No user has this id.') },
        }),
      },
    },
  },
  '/api/profiles': {
    get: {
      operationId: 'listProfiles',
      summary: 'Several public profiles at once',
      description:
        'The public profiles of up to 100 users in one call, e.g. to show the authors of a page of messages. ' +
        'Answers one profile per distinct id that names a user, in the order asked; ids that name no user are left out (no 404).',
      tags: TAG,
      security: BEARER,
      parameters: commonParameters({
        name: 'ids',
        in: 'query',
        required: true,
        description: 'Comma-separated user ids, 1 to 100 of them: `ids=a,b,c`.',
        style: 'form',
        explode: false,
        schema: { type: 'array', minItems: 1, maxItems: 100, items: schemaRef('Id') },
      }),
      responses: {
        200: ok('The profiles found.', schemaRef('ProfileList')),
        ...standardErrors({
          auth: true,
          body: false,
          validation: '`validation_failed`: `ids` is missing or empty, has more than 100 ids, or an id is not valid (`query.ids`).',
        }),
      },
    },
  },
};
