import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger per process, apart from metrics and tracing so that a function
 * that only logs (the authorizer) carries neither. Logs carry request ids,
 * routes and statuses; never bodies, tokens or usernames.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'stempel' });
