/**
 * AvatarStorage over a Dapr output binding
 * (https://docs.dapr.io/reference/api/bindings_api/), `bindings.localstorage`
 * in the default profile (https://docs.dapr.io/reference/components-reference/supported-bindings/localstorage/).
 * Swapping the component for an object store that has the same operations
 * (create/get/delete with metadata `fileName`, or `key` for S3-like stores)
 * needs no code change beyond the metadata key name.
 *
 * How localstorage (components-contrib v1.18.0 bindings/localstorage) treats
 * the data: `create` unquotes the JSON string and base64-decodes it when it
 * is valid base64, so bytes are sent as a base64 string and stored raw; `get`
 * answers the raw file bytes as the HTTP body (daprd labels them
 * application/json regardless); a missing file is an error whose message says
 * "file not found" (get) or "no such file" (delete).
 */
import { COMPONENTS, unavailable, type Sidecar } from '@chat/platform';
import type { AvatarStorage } from '../../domain/ports.js';

const MISSING = /file not found|no such file/i;

function failure(operation: string, response: { status: number; body: Buffer }): Error {
  return unavailable(`avatar storage ${operation} failed with ${response.status}`, new Error(response.body.toString('utf8').slice(0, 500)));
}

export function daprAvatarStorage(sidecar: Sidecar, bindingName: string = COMPONENTS.avatars): AvatarStorage {
  return {
    async put(key, bytes) {
      const response = await sidecar.binding(bindingName, 'create', bytes.toString('base64'), { fileName: key });
      if (response.status >= 300) throw failure('create', response);
    },

    async get(key) {
      const response = await sidecar.binding(bindingName, 'get', undefined, { fileName: key });
      if (response.status === 200) return response.body;
      if (MISSING.test(response.body.toString('utf8'))) return undefined;
      throw failure('get', response);
    },

    async delete(key) {
      const response = await sidecar.binding(bindingName, 'delete', undefined, { fileName: key });
      if (response.status < 300 || MISSING.test(response.body.toString('utf8'))) return;
      throw failure('delete', response);
    },
  };
}
