/** The process's pino logger, for providers that log outside a request. */
export const API_LOGGER = Symbol('API_LOGGER');
