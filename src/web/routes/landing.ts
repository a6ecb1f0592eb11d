import Router from '@koa/router';

/** GET / : a small page of links (dashboard, login, health endpoints). */
export function landingRoutes(): Router {
  const router = new Router();
  router.get('/', async (ctx) => {
    await ctx.render('landing.njk', { title: 'exec-mcp' });
  });
  return router;
}
