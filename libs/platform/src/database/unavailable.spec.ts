import { describe, expect, it } from '@jest/globals';
import { QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable } from './unavailable.js';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it('recognizes a refused or dropped connection, a shutdown and a server starting up', () => {
    for (const e of [
      withCode('ECONNREFUSED'),
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('57P03', 'the database system is starting up'),
      withCode('08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      // TypeORM's QueryFailedError keeps the driver's error; Node's AggregateError lists each attempt's.
      Object.assign(new Error('query failed'), { driverError: withCode('57P01') }),
      Object.assign(new AggregateError([withCode('ECONNREFUSED')]), { code: undefined }),
      // The server went away mid-transaction: TypeORM released the runner, the next statement says so.
      new QueryRunnerAlreadyReleasedError(),
      new QueryRunnerProviderAlreadyReleasedError(),
    ]) {
      expect(isDatabaseUnavailable(e)).toBe(true);
    }
  });

  it('leaves a fault of the request alone: a constraint, a timeout of the statement, a serialization failure', () => {
    for (const e of [withCode('23505'), withCode('57014'), withCode('40001'), new Error('boom'), null, 'text']) {
      expect(isDatabaseUnavailable(e)).toBe(false);
    }
  });
});
