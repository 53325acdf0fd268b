/** The process's pino logger, for providers that log outside a request. */
export const WORKER_LOGGER = Symbol('WORKER_LOGGER');
