import type * as z from 'zod/mini';
import type * as schemas from '../../../../shared/http/schemas';
import { api, apiFetch } from '../../api/client';
import type { Role, UserView } from '../../api/types';

// The API's own schemas type these calls (type-only: nothing of them is bundled).
export type UserList = z.infer<typeof schemas.userList>;
export type CreatedUser = z.infer<typeof schemas.createUserResponse>;
export type UserErasure = z.infer<typeof schemas.userErasure>;
export type AuditEventList = z.infer<typeof schemas.auditEventList>;
export type AuditEvent = AuditEventList['items'][number];
export type KpiReport = z.infer<typeof schemas.kpiReport>;
export type KpiPeriod = KpiReport['periods'][number];
export type Granularity = KpiReport['granularity'];

/** The audit filters the API supports (auditQuery), as ISO times and exact matches. */
export interface AuditFilter {
  readonly from?: string;
  readonly to?: string;
  readonly actor?: string;
  readonly action?: string;
  readonly target?: string;
}

export interface KpiRange {
  readonly from: string;
  readonly to: string;
  readonly granularity: Granularity;
}

/** A query string from the defined, non-empty values. */
export function query(values: Readonly<Record<string, string | number | undefined>>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(values)) {
    if (value !== undefined && value !== '') params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

const userPath = (id: string) => `/v1/admin/users/${encodeURIComponent(id)}`;

export const listUsers = (cursor?: string, limit = 25) =>
  api<UserList>('GET', `/v1/admin/users${query({ limit, cursor })}`);

export const createUser = (username: string, roles: readonly Role[]) =>
  api<CreatedUser>('POST', '/v1/admin/users', { body: { username, roles } });

export const updateRoles = (id: string, roles: readonly Role[]) =>
  api<UserView>('PATCH', userPath(id), { body: { roles } });

export const disableUser = (id: string) => api<UserView>('POST', `${userPath(id)}/disable`);
export const enableUser = (id: string) => api<UserView>('POST', `${userPath(id)}/enable`);
export const resetOtp = (id: string) => api<UserView>('POST', `${userPath(id)}/otp/reset`);
export const unlockUser = (id: string) => api<void>('POST', `${userPath(id)}/unlock`);
export const deleteUser = (id: string) => api<void>('DELETE', userPath(id));

/** The GDPR export as the server wrote it: kept as bytes, so the download is exactly the answer. */
export const exportUser = async (id: string) => (await apiFetch('GET', `${userPath(id)}/export`)).blob();

export const eraseUser = (id: string) => api<UserErasure>('POST', `${userPath(id)}/erasure`);

export const auditEvents = (filter: AuditFilter, cursor?: string, limit = 25, signal?: AbortSignal) =>
  api<AuditEventList>('GET', `/v1/audit/events${query({ ...filter, limit, cursor })}`, { signal });

export const kpis = (range: KpiRange) => api<KpiReport>('GET', `/v1/reports/kpis${query({ ...range })}`);
