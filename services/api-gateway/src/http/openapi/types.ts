/**
 * The small part of the OpenAPI 3.1 object model that this document uses.
 * Schemas stay loose records (they are JSON Schema 2020-12); the structure
 * around them is typed so the tests can walk it.
 */

export type Schema = { [keyword: string]: unknown };

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export interface MediaType {
  schema?: Schema;
  example?: unknown;
}

export interface Header {
  description: string;
  required?: boolean;
  schema: Schema;
}

export type HeaderOrRef = Header | { $ref: string };

export interface Response {
  description: string;
  headers?: Record<string, HeaderOrRef>;
  content?: Record<string, MediaType>;
}

export interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header';
  description: string;
  required?: boolean;
  schema: Schema;
  example?: unknown;
  style?: 'form' | 'simple';
  explode?: boolean;
}

export type ParameterOrRef = Parameter | { $ref: string };

export interface RequestBody {
  description: string;
  required: boolean;
  content: Record<string, MediaType>;
  [extension: `x-${string}`]: unknown;
}

export interface Operation {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  /** `[]` = public; `[{bearerAuth: []}]` = needs an access token. */
  security: Array<Record<string, string[]>>;
  parameters?: ParameterOrRef[];
  requestBody?: RequestBody;
  responses: Record<string, Response>;
}

export type PathItem = Partial<Record<HttpMethod, Operation>>;

export type Paths = Record<string, PathItem>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  jsonSchemaDialect: string;
  info: {
    title: string;
    version: string;
    summary: string;
    description: string;
  };
  servers: Array<{ url: string; description: string }>;
  tags: Array<{ name: string; description: string }>;
  paths: Paths;
  components: {
    schemas: Record<string, Schema>;
    parameters: Record<string, Parameter>;
    headers: Record<string, Header>;
    securitySchemes: Record<string, { type: 'http'; scheme: string; bearerFormat: string; description: string }>;
  };
  'x-socket-io': unknown;
}
