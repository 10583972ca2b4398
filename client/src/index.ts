// The typed client for the Task API, generated from ../openapi.json by @hey-api/openapi-ts.
// It runs on the platform's fetch (browsers, Node 18+), whose types come from the DOM library.
/// <reference lib="dom" />
export * from './generated';
export { client } from './generated/client.gen';
export { createClient, createConfig } from './generated/client';
