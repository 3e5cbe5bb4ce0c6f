import type { Config } from '../../config.ts';
import type { CaseEngine } from '../../services/case-engine.ts';
import type { Services } from '../../services/context.ts';
import type { RateLimiter } from '../rate-limit.ts';

export interface RouteDeps {
  readonly svc: Services;
  readonly engine: CaseEngine;
  readonly config: Pick<Config, 'secureCookies' | 'publicUrl'>;
  readonly loginLimiter: RateLimiter;
}
