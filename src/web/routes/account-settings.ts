import Router from '@koa/router';
import { flash } from '../auth.ts';
import { onFormError } from '../errors.ts';
import { cancelOpenOrders, describeCancels } from '../../services/brake.ts';
import { checkbox, formFields } from '../forms.ts';
import { accountFormValuesOf, credentialInputs, credentialsFromForm, limitsFormValues, limitsFromForm, limitsFormValuesOf } from './account-form.ts';
import { DASHBOARD_ACTOR, accountPath, refFromParams, seeOther, type RouteDeps } from './common.ts';
import { accountChoices } from './dashboard-data.ts';

const ACCOUNT = '/dashboard/accounts/:exchange/:exchange_account_id';

/**
 * Per-account settings: write-only API credentials (the page shows only when they were set) and
 * risk limits with the per-account kill switch.
 */
export function accountSettingsRoutes({ services }: RouteDeps): Router {
  const router = new Router();

  const fieldsOf = (ref: string) => services.accounts.credentialFields?.(ref) ?? { fields: ['api_key', 'api_secret'] as const, unsupported: [] };
  const credentialsLocals = (ref: string) => () => {
    const a = services.accounts.get(ref);
    const { fields, unsupported } = fieldsOf(ref);
    return {
      // Generated from what the exchange requires (ccxt's requiredCredentials), always empty.
      inputs: credentialInputs(fields),
      unsupported,
      title: `Credentials of ${a.name}`,
      nav: 'accounts',
      // Only what the page may show: never the key or secret, not even a hint of the secret.
      account: { name: a.name, exchange: a.exchange, exchange_account_id: a.exchange_account_id, ref, path: accountPath(a) },
      has_credentials: a.has_credentials,
      credentials_set_at: a.credentials_set_at,
      errors: {},
    };
  };

  router.get(`${ACCOUNT}/credentials`, async (ctx) => {
    await ctx.render('account-credentials.njk', credentialsLocals(refFromParams(ctx))());
  });

  router.post(`${ACCOUNT}/credentials`, async (ctx) => {
    const ref = refFromParams(ctx);
    // Re-rendered empty on failure: a secret is never written back into a page.
    onFormError(ctx, { view: 'account-credentials.njk', values: {}, locals: credentialsLocals(ref) });
    const creds = credentialsFromForm(formFields(ctx), fieldsOf(ref).fields);
    // One signed read-only call proves whose key it is; a key of another user is refused unstored.
    const check = await services.accounts.setCredentialsChecked(ref, creds, DASHBOARD_ACTOR);
    const a = services.accounts.get(ref);
    flash(ctx, check.verified ? 'ok' : 'error', `Credentials of ${a.name} (${ref}) saved; ${check.message.replace(/\.$/, '')}.`);
    seeOther(ctx, '/dashboard');
  });

  router.post(`${ACCOUNT}/limits`, async (ctx) => {
    const ref = refFromParams(ctx);
    const f = formFields(ctx);
    const current = services.accounts.get(ref);
    onFormError(ctx, {
      view: 'account-edit.njk',
      values: accountFormValuesOf(current),
      errorsKey: 'limit_errors',
      locals: () => {
        const account = services.accounts.get(ref);
        return {
          title: `Edit ${account.name}`,
          nav: 'accounts',
          account: { ...account, path: accountPath(account), ref },
          parents: accountChoices(services.accounts.list()).filter((p) => p.value !== ref),
          modes: ['live', 'paper', 'backtest'],
          limits: limitsFormValues(f),
        };
      },
    });
    const a = services.accounts.setLimits(ref, limitsFromForm(f), DASHBOARD_ACTOR);
    const killed = a.limits.kill_switch === true;
    // "Stop and cancel all open orders": the limits (kill switch on) are committed above, before the cancels.
    const cancels = killed && checkbox(f['cancel_open']) ? ` Cancel all open orders: ${describeCancels(await cancelOpenOrders(services, ref, DASHBOARD_ACTOR))}.` : '';
    flash(ctx, killed ? 'error' : 'ok', `Risk limits of ${a.name} saved${killed ? '; its kill switch is ON: new orders are refused' : ''}.${cancels}`);
    seeOther(ctx, accountPath(a) + '/edit');
  });

  return router;
}
