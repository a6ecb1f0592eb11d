import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditEntryView, AuditService } from './ports.ts';

/** Read side of the audit log for the dashboard and `audit verify`. Writes happen inside each use case's transaction. */
export class AuditServiceImpl implements AuditService {
  constructor(private readonly log: AuditLog) {}

  /** Newest first; `before` is the seq to page below, limit 1-500 (default 50). */
  page(opts: { before?: number; limit?: number } = {}): AuditEntryView[] {
    return this.log.page(opts);
  }

  verify(): ReturnType<AuditService['verify']> {
    return this.log.verify();
  }
}
