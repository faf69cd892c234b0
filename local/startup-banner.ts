/**
 * What `npm start` prints when it listens. A generated token is printed (nobody could use the API
 * otherwise, and it is kept in the data dir); a token given in the environment never is: whoever set it
 * knows it, and a terminal's scrollback or a CI log is no place for it.
 */
export interface BannerInput {
  readonly url: string;
  readonly configFile: string;
  readonly services: readonly string[];
  readonly dataDir: string;
  readonly webhookToken: string;
  readonly apiToken: string;
  readonly generatedTokens: { readonly webhook: boolean; readonly api: boolean };
  readonly resumed: readonly string[];
  /** The stand-ins on AWS wire endpoints, by AWS CLI service name. */
  readonly endpoints?: Readonly<Record<string, string>>;
}

export function startupBanner(s: BannerInput): string {
  const webhook = s.generatedTokens.webhook ? `${s.webhookToken}   (generated; set ROLLOUT_WEBHOOK_TOKEN to choose)` : '$ROLLOUT_WEBHOOK_TOKEN';
  const api = s.generatedTokens.api ? `${s.apiToken}   (generated; set ROLLOUT_API_TOKEN to choose)` : '$ROLLOUT_API_TOKEN';
  const lines = [
    '',
    `rollout orchestrator (local mode) listening on ${s.url}`,
    `  config:   ${s.configFile} (${s.services.length} services: ${s.services.join(', ')})`,
    `  data:     ${s.dataDir}`,
    `  webhook:  POST ${s.url}/webhooks/registry   Authorization: Bearer ${webhook}`,
    `  API:      ${s.url}/rollouts                 Authorization: Bearer ${api}`,
    `  dashboard: ${s.url}/    API docs: ${s.url}/docs    CLI: ROLLOUT_URL=${s.url} ROLLOUT_API_TOKEN=… npx rollout list`,
    ...(s.endpoints ? [`  AWS:      ${Object.entries(s.endpoints).map(([name, url]) => `${name} ${url}`).join('  ')}   (aws --endpoint-url …, any credentials, region us-east-1)`] : []),
    ...(s.resumed.length > 0 ? [`  resumed:  ${s.resumed.join(', ')}`] : []),
    '',
  ];
  return `${lines.join('\n')}\n`;
}
