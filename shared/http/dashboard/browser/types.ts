/** The parts of the API's answers the dashboard reads (docs/api.md: `GET /rollouts/{id}`, `GET /services`). */

export interface StepView {
  readonly setWeight?: number;
  readonly pause?: { readonly duration?: number; readonly name?: string };
  readonly status: string;
  readonly completedAt?: string;
}

export interface RolloutEventView {
  readonly at: string;
  readonly type: string;
  readonly message: string;
}

export interface RolloutView {
  readonly id: string;
  readonly version: number;
  readonly service: string;
  readonly status: string;
  readonly image: { readonly tag?: string | null; readonly digest: string };
  readonly canaryWeight: number;
  readonly steps: readonly StepView[];
  readonly events: readonly RolloutEventView[];
  readonly wait?: { readonly for: string; readonly by?: string; readonly reason?: string; readonly until?: string } | null;
  readonly reason?: string | null;
  readonly promoting?: boolean;
  readonly blueGreen?: { readonly previewListenerRule: string } | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface ServiceView {
  readonly name: string;
  readonly cluster: string;
  readonly service: string;
  readonly image: string;
  readonly stable?: string | null;
  readonly stableImage?: string | null;
  readonly ecsError?: string | null;
  readonly activeRollout?: string | null;
}

export interface Page<T> {
  readonly items: T[];
}
