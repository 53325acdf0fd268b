import DataLoader from 'dataloader';
import type { TasukiRequest } from '../auth/request.js';

/**
 * The request's DataLoader for one kind of lookup by id: the field resolvers of one request share it, so a page of
 * rows costs one query, not one per row. It lives on the HTTP request and no longer, because what a lookup may see
 * depends on the caller and the acting organization, both fixed for one request.
 */
export function requestLoader<V>(
  req: TasukiRequest,
  name: string,
  batch: (ids: readonly string[]) => Promise<Map<string, V>>,
): DataLoader<string, V | null> {
  req.tasukiLoaders ??= new Map();
  let loader = req.tasukiLoaders.get(name) as DataLoader<string, V | null> | undefined;
  if (!loader) {
    loader = new DataLoader<string, V | null>(async (ids) => {
      const found = await batch(ids);
      return ids.map((id) => found.get(id) ?? null);
    });
    req.tasukiLoaders.set(name, loader as DataLoader<string, unknown>);
  }
  return loader;
}
