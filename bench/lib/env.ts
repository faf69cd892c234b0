/** Imported first by the runner: quiet the SDK's Node 20 notice and the orchestrator's JSON logs. */
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
process.env['LOG_LEVEL'] ??= 'silent';
export {};
