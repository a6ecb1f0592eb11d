import Router from '@koa/router';
import { accountRef } from '../../domain/account.ts';
import { applyKillSwitch, describeCancels } from '../../services/brake.ts';
import { flash } from '../auth.ts';
import { onFormError } from '../errors.ts';
import { checkbox, formFields } from '../forms.ts';
import { accountFormValues, accountFormValuesOf, accountInputFromForm, accountPatchFromForm, limitsFormValuesOf } from './account-form.ts';
import { DASHBOARD_ACTOR, accountPath, refFromParams, seeOther, type RouteDeps } from './common.ts';
import { accountChoices, dashboardData, withBacktestFilter } from './dashboard-data.ts';

const ACCOUNT = '/dashboard/accounts/:exchange/:exchange_account_id';

/**
 * The accounts page and the account lifecycle forms: create, edit, enable/disable, delete (with a
 * confirmation page), and the global kill switch. Every change goes through AccountsService, which
 * writes the audit row; routes only convert forms and pick the page to show.
 */
export function accountRoutes({ services }: RouteDeps): Router {
  const router = new Router();

  router.get('/dashboard', async (ctx) => {
    await ctx.render('dashboard.njk', { title: 'Accounts', nav: 'accounts', ...withBacktestFilter(dashboardData(services), ctx.query['backtests'] === 'show'), values: { enabled: true }, errors: {} });
  });

  router.post('/dashboard/accounts', async (ctx) => {
    const f = formFields(ctx);
    onFormError(ctx, {
      view: 'dashboard.njk',
      values: accountFormValues(f),
      locals: () => ({ title: 'Accounts', nav: 'accounts', add_open: true, ...withBacktestFilter(dashboardData(services), false) }),
    });
    const a = services.accounts.create(accountInputFromForm(f), DASHBOARD_ACTOR);
    flash(ctx, 'ok', `Account ${a.name} (${accountRef(a)}) created.`);
    seeOther(ctx, '/dashboard');
  });

  router.post('/dashboard/kill-switch', async (ctx) => {
    const f = formFields(ctx);
    // cancel_open is the "stop and cancel all open orders" button: it turns the switch on too.
    const cancelOpen = checkbox(f['cancel_open']);
    const on = cancelOpen || checkbox(f['kill_switch']);
    // The switch is committed first, so no new order slips in while the open ones are cancelled.
    const results = await applyKillSwitch(services, { on, cancel_open: cancelOpen }, DASHBOARD_ACTOR);
    const cancels = cancelOpen ? ` Cancel all open orders: ${describeCancels(results)}.` : '';
    flash(ctx, on ? 'error' : 'ok', on ? `Global kill switch ON: every new order is refused.${cancels}` : 'Global kill switch off: orders are accepted again.');
    seeOther(ctx, '/dashboard');
  });

  const editLocals = (ref: string) => () => {
    const { api_key_hint: _hint, ...account } = services.accounts.get(ref);
    return {
      title: `Edit ${account.name}`,
      nav: 'accounts',
      account: { ...account, path: accountPath(account), ref },
      parents: accountChoices(services.accounts.list()).filter((p) => p.value !== ref),
      modes: ['live', 'paper', 'backtest'],
      limits: limitsFormValuesOf(account.limits),
      limit_errors: {},
    };
  };

  router.get(`${ACCOUNT}/edit`, async (ctx) => {
    const ref = refFromParams(ctx);
    const locals = editLocals(ref)();
    await ctx.render('account-edit.njk', { ...locals, values: accountFormValuesOf(services.accounts.get(ref)), errors: {} });
  });

  router.post(`${ACCOUNT}/edit`, async (ctx) => {
    const ref = refFromParams(ctx);
    const f = formFields(ctx);
    const current = services.accounts.get(ref);
    onFormError(ctx, { view: 'account-edit.njk', values: { ...accountFormValues(f), exchange: current.exchange }, locals: editLocals(ref) });
    const patch = accountPatchFromForm(f, current);
    const a = services.accounts.update(ref, patch, DASHBOARD_ACTOR);
    flash(ctx, 'ok', Object.keys(patch).length === 0 ? `Nothing changed on ${a.name}.` : `Account ${a.name} (${accountRef(a)}) updated.`);
    seeOther(ctx, '/dashboard');
  });

  for (const [action, enabled] of [['enable', true], ['disable', false]] as const) {
    router.post(`${ACCOUNT}/${action}`, async (ctx) => {
      const a = services.accounts.setEnabled(refFromParams(ctx), enabled, DASHBOARD_ACTOR);
      flash(ctx, 'ok', `Account ${a.name} (${accountRef(a)}) ${enabled ? 'enabled' : 'disabled'}.`);
      seeOther(ctx, '/dashboard');
    });
  }

  const deleteLocals = (ref: string) => () => {
    const account = services.accounts.get(ref);
    const open = services.orders.list(ref, { status: 'open', limit: 1000 }).length;
    return { title: `Delete ${account.name}`, nav: 'accounts', account: { ...account, path: accountPath(account), ref }, open_orders: open };
  };

  router.get(`${ACCOUNT}/delete`, async (ctx) => {
    await ctx.render('account-delete.njk', deleteLocals(refFromParams(ctx))());
  });

  router.post(`${ACCOUNT}/delete`, async (ctx) => {
    const ref = refFromParams(ctx);
    onFormError(ctx, { view: 'account-delete.njk', values: {}, locals: deleteLocals(ref) });
    const name = services.accounts.get(ref).name;
    services.accounts.remove(ref, DASHBOARD_ACTOR);
    flash(ctx, 'ok', `Account ${name} (${ref}) deleted.`);
    seeOther(ctx, '/dashboard');
  });

  return router;
}
