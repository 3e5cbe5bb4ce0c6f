import { z } from 'zod';
import { caseDirectory } from '../../services/directory.ts';
import { route } from '../route.ts';
import type { RouteDeps } from './deps.ts';

/** Reference data for the create-case wizard (mediators only). */
export function directoryRoutes(d: RouteDeps) {
  return [
    route({
      method: 'GET',
      path: '/api/v1/directory',
      tag: 'cases',
      summary: 'Active mediators (for co-mediators) and the default agreement texts, for opening a case',
      response: z.object({
        mediators: z.array(z.object({ id: z.string(), displayName: z.string() })),
        agreements: z.object({ 'opt-in': z.string(), 'opt-out': z.string() }),
      }),
      handler: ({ principal }) => caseDirectory(d.svc, principal),
    }),
  ];
}
