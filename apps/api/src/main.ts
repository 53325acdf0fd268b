import 'reflect-metadata';
import { runService } from '@tasuki/platform';
import { createApiApp } from './create-app.js';

runService('api', async (config, logger) => {
  const app = await createApiApp(config, logger);
  await app.listen(config.port, config.host);
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  logger.info({ graphql: `${url}/graphql` }, `Tasuki API ready: ${url}/graphql`);
  return { close: () => app.close() };
});
