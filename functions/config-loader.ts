/** The full config loader as a function loads it on first use: a bundle of its own (shared/config/full-config-loader.ts). */
export { loadConfig } from '../shared/config/load-config';
