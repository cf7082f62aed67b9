import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Who a user action came through, for every audit row it writes: the adapter (`dashboard`,
 * `http`) and the name of the token behind the request. An adapter runs the use case inside
 * `asUser`; the use case itself does not know which adapter called it, and every USER row
 * it writes (a confirmation, a refusal, the change) names the same person.
 */
export interface UserChannel {
  via: 'dashboard' | 'http';
  client: string;
}

const channel = new AsyncLocalStorage<UserChannel>();

export function asUser<T>(who: UserChannel, fn: () => Promise<T>): Promise<T> {
  return channel.run(who, fn);
}

export function currentUserChannel(): UserChannel | undefined {
  return channel.getStore();
}
