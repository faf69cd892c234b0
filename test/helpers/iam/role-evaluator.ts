/**
 * Evaluates authorization requests against a role's identity policies with `@cloud-copilot/iam-simulate`
 * (AGPL-3.0: a devDependency, imported by tests only, never bundled), which checks each action, its
 * resource types and condition keys against the Service Authorization Reference, and says which
 * statements allowed a request. Also tracks which (statement, action) grants some request used, so the
 * grants nothing uses can be listed.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { AuthorizationRequest } from './authorization-requests';
import type { SynthesizedRole } from './synthesized-roles';

export interface Decision {
  readonly allowed: boolean;
  /** iam-simulate's verdict (`Allowed`, `ImplicitlyDenied`, ...) or its validation error. */
  readonly result: string;
}

/**
 * Step Functions authorizes SendTaskSuccess/Failure/Heartbeat against the state machine that issued the
 * token (its AccessDenied message names `...:stateMachine:<name>`, and grants scoped to it work), while
 * the Service Authorization Reference lists no resource type for them, so iam-simulate accepts only `*`.
 * These are matched here instead: an Allow statement without conditions naming the action and the ARN.
 */
const TOKEN_ANSWERS = new Set(['states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat']);

const asList = (v: string | string[]): string[] => (Array.isArray(v) ? v : [v]);
const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`, 'i');
const matches = (patterns: string | string[], value: string) => asList(patterns).some((p) => glob(p).test(value));

const defaultKeyPolicy = (account: string) => ({
  Version: '2012-10-17',
  Statement: [{ Sid: 'EnableIamPolicies', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
});

export class RoleEvaluator {
  /** `<role>|<policy>|<statement index>|<action pattern>` of every grant some request used. */
  readonly used = new Set<string>();

  constructor(private readonly account: string) {}

  async evaluate(roleName: string, role: SynthesizedRole, request: AuthorizationRequest): Promise<Decision> {
    if (TOKEN_ANSWERS.has(request.action)) return this.evaluateTokenAnswer(roleName, role, request);
    const result = (await runSimulation(
      {
        identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document as never })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        // KMS authorizes only what the key policy allows too: the default key policy, which lets the
        // account's IAM policies grant the key's use (what a key created by CDK or the console has).
        ...(request.action.startsWith('kms:') ? { resourcePolicy: defaultKeyPolicy(this.accountOf(request.resource)) } : {}),
        request: {
          action: request.action,
          principal: role.roleArn,
          resource: { accountId: this.accountOf(request.resource), resource: request.resource },
          contextVariables: { ...request.context },
        },
      } as never,
      {},
    )) as { resultType: string; overallResult?: string; errors?: unknown; result?: { analysis?: { identityAnalysis?: { allowStatements?: { policyId: string; statement: { index(): number } }[] } } } };
    if (result.resultType !== 'single' || !result.overallResult) return { allowed: false, result: `evaluation error ${JSON.stringify(result.errors)}` };
    const allowed = result.overallResult === 'Allowed';
    if (allowed) {
      for (const { policyId, statement } of result.result?.analysis?.identityAnalysis?.allowStatements ?? []) {
        // iam-simulate numbers statements from 1.
        this.markUsed(roleName, role, policyId, statement.index() - 1, request.action);
      }
    }
    return { allowed, result: result.overallResult };
  }

  /** Every Allow grant of the role as `(policy, statement, action pattern)`, with the keys `used` holds. */
  grants(roleName: string, role: SynthesizedRole): { key: string; sid: string; action: string; resources: string[] }[] {
    return role.policies.flatMap((policy) =>
      policy.document.Statement.flatMap((statement, index) =>
        statement.Effect !== 'Allow'
          ? []
          : asList(statement.Action).map((action) => ({
              key: `${roleName}|${policy.name}|${index}|${action}`,
              sid: statement.Sid ?? `#${index}`,
              action,
              resources: asList(statement.Resource),
            })),
      ),
    );
  }

  private evaluateTokenAnswer(roleName: string, role: SynthesizedRole, request: AuthorizationRequest): Decision {
    for (const policy of role.policies) {
      for (const [index, statement] of policy.document.Statement.entries()) {
        if (statement.Effect === 'Allow' && !statement.Condition && matches(statement.Action, request.action) && matches(statement.Resource, request.resource)) {
          this.markUsed(roleName, role, policy.name, index, request.action);
          return { allowed: true, result: 'Allowed' };
        }
      }
    }
    return { allowed: false, result: 'ImplicitlyDenied' };
  }

  private markUsed(roleName: string, role: SynthesizedRole, policyName: string, index: number, action: string): void {
    const statement = role.policies.find((p) => p.name === policyName)?.document.Statement[index];
    if (!statement) throw new Error(`no statement ${index} in policy ${policyName} of ${roleName}`);
    for (const pattern of asList(statement.Action)) {
      if (glob(pattern).test(action)) this.used.add(`${roleName}|${policyName}|${index}|${pattern}`);
    }
  }

  private accountOf(resource: string): string {
    const account = resource.split(':')[4];
    return account && /^\d{12}$/.test(account) ? account : this.account;
  }
}
