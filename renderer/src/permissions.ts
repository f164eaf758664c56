import { createContext, useContext } from 'react';
import type { Permission } from '../../common/roles.ts';

/** What the signed-in user may do: screens hide the buttons of the rest (the API refuses them anyway). */
export const PermissionsContext = createContext<readonly Permission[]>([]);

export function useMay(permission: Permission): boolean {
  return useContext(PermissionsContext).includes(permission);
}
