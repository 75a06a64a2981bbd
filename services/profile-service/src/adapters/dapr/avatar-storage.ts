/**
 * AvatarStorage over a Dapr output binding
 * (https://docs.dapr.io/reference/api/bindings_api/), `bindings.localstorage`
 * in the default profile (https://docs.dapr.io/reference/components-reference/supported-bindings/localstorage/).
 *
 * How localstorage (components-contrib v1.18.0 bindings/localstorage) treats
 * the data: `create` unquotes the JSON string and base64-decodes it when it
 * is valid base64, so bytes are sent as a base64 string and stored raw; `get`
 * answers the raw file bytes as the HTTP body (daprd labels them
 * application/json regardless); a missing file is an error whose message says
 * "file not found" (get) or "no such file" (delete). Only `fileName` is read
 * from the metadata; other keys are ignored.
 *
 * So that object storage is a component swap, every call also carries the
 * metadata `bindings.aws.s3` (and S3-compatible stores) reads: `key`, and on
 * create `decodeBase64: "true"` (s3 stores the decoded bytes, `get` answers
 * them raw unless `encodeBase64` is set) and `contentType`; its "object not
 * found" is a missing object too. (The curated daprd in sidecar/ registers
 * localstorage only: another binding type must be registered there first.)
 */
import { COMPONENTS, unavailable, type Sidecar } from '@chat/platform';
import type { AvatarStorage } from '../../domain/ports.js';

const MISSING = /file not found|no such file|object not found/i;

/** The object's name as localstorage (`fileName`) and S3 (`key`) read it. */
const names = (key: string) => ({ fileName: key, key });

function failure(operation: string, response: { status: number; body: Buffer }): Error {
  return unavailable(`avatar storage ${operation} failed with ${response.status}`, new Error(response.body.toString('utf8').slice(0, 500)));
}

export function daprAvatarStorage(sidecar: Sidecar, bindingName: string = COMPONENTS.avatars): AvatarStorage {
  return {
    async put(key, bytes, contentType) {
      const response = await sidecar.binding(bindingName, 'create', bytes.toString('base64'), {
        ...names(key),
        decodeBase64: 'true',
        contentType,
      });
      if (response.status >= 300) throw failure('create', response);
    },

    async get(key) {
      const response = await sidecar.binding(bindingName, 'get', undefined, names(key));
      if (response.status === 200) return response.body;
      if (MISSING.test(response.body.toString('utf8'))) return undefined;
      throw failure('get', response);
    },

    async delete(key) {
      const response = await sidecar.binding(bindingName, 'delete', undefined, names(key));
      if (response.status < 300 || MISSING.test(response.body.toString('utf8'))) return;
      throw failure('delete', response);
    },
  };
}
