/**
 * Who may do what, shared by the core (the API's router enforces it) and the UI (it shows only what the user may do).
 * Each API route declares one permission; a role is the set of permissions it grants.
 */

/**
 * view: search and view the local archive. transfer: query/retrieve, send, export, echo other nodes. edit: import,
 * worklist, corrections of studies. delete: delete studies, protect them from clean-up. configure: settings and nodes.
 * users: accounts. audit: read the audit trail.
 */
export const PERMISSIONS = ['view', 'transfer', 'edit', 'delete', 'configure', 'users', 'audit'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export const ROLES = ['admin', 'technician', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

const GRANTS: Record<Role, readonly Permission[]> = {
  admin: PERMISSIONS,
  technician: ['view', 'transfer', 'edit'],
  viewer: ['view'],
};

export function permissionsOf(role: Role): readonly Permission[] {
  return GRANTS[role];
}

export function may(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}
