import { useEffect } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { currentUser } from '../auth/session';
import { mayOpen, PAGES } from '../pages';

/** `/`: the first page this user's roles open (navigation order is by importance). */
export function Home() {
  const { route } = useLocation();
  const roles = currentUser.value?.roles ?? [];
  const first = PAGES.find((page) => mayOpen(page, roles));
  useEffect(() => {
    if (first) route(first.path, true);
  }, [first, route]);
  return null;
}
