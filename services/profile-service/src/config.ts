import { readConfig, serviceSettings } from '@chat/platform';

export const settings = {
  ...serviceSettings,
};

export const loadConfig = (env: NodeJS.ProcessEnv = process.env) => readConfig(settings, env);
export type Config = ReturnType<typeof loadConfig>;
