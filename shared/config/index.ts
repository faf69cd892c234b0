export type { AppConfig, RegistryConfig, ServiceAwsConfig, ServiceConfig, VerificationKey, VerifyConfig } from './types';
export { configFilePath, DEFAULT_CONFIG_FILE, loadConfig, parseConfig, type ParseConfigOptions } from './load-config';
export { DurationError, formatDuration, parseDuration } from './duration';
export { parseImageName, parseImageReference, registryHostProblem, type ImageName, type ImageReference } from './image-name';
export { isEcrHost, isImplicitRegistry } from './known-registries';
export { formatPath } from './issues';
export { MAX_WAIT_FOR_SECONDS, verifySchema } from './verify-schema';
