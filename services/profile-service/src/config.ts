import { parse, readConfig, serviceSettings } from '@chat/platform';

/** An absolute http(s) URL without a trailing slash. */
const baseUrl = (raw: string): string => {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http: or https: URL');
  if (url.search || url.hash) throw new Error('expected no query or fragment');
  return url.href.replace(/\/+$/, '');
};

export const settings = {
  ...serviceSettings,
  publicBaseUrl: {
    env: 'PUBLIC_BASE_URL',
    doc: "Where clients reach the api-gateway; uploaded avatars' avatarUrl is this plus /api/profiles/<userId>/avatar.",
    parse: baseUrl,
    default: 'http://127.0.0.1:8080',
  },
  avatarsBinding: {
    env: 'AVATARS_BINDING',
    doc: 'Name of the Dapr output binding that stores avatar bytes (create/get/delete with metadata fileName).',
    parse: parse.string,
    default: 'avatars',
  },
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(settings, env);
export type Config = ReturnType<typeof loadConfig>;
