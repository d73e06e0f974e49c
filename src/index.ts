/** herald's public API: create and start a server in-process, and its option types. */
export { createHerald } from './herald.js';
export type { Herald, HeraldAddress, HeraldDeps } from './herald.js';
export type { AppConfig, AppOptions, HeraldConfig, HeraldOptions } from './config/schema.js';
export { ConfigError } from './config/schema.js';
export type { LifecycleEvents, LifecycleName, Lifecycle } from './core/lifecycle.js';
export type { Log } from './core/log.js';
export type { Clock } from './core/clock.js';
