import { appBackend, fakeBackend, type DashboardBackend } from './dashboard-backend.ts';

/**
 * The backend of the browser suite and the dashboard bench: the real composition root by default;
 * DASHBOARD_BACKEND=fake (or BENCH_BACKEND=fake) runs on in-memory services instead.
 */
export async function dashboardBackend(): Promise<DashboardBackend> {
  const wanted = process.env['DASHBOARD_BACKEND'] ?? process.env['BENCH_BACKEND'] ?? 'app';
  return wanted === 'fake' ? fakeBackend() : appBackend();
}
