// The panel's "Access" section of a workspace: who may do what (role assignments, with a form
// to assign a role and Remove buttons for those who may manage access), the key vault's secret
// NAMES (values are never shown in the studio), and the audit log for owners. Controls a
// caller may not use are not shown: applyPermissions marks a view so CSS hides delete buttons.
import type { Permissions, RoleAssignment, RoleDefinition } from '../common/api.gen';
import { emptyState, errorMessage, formatTime, h, table } from '../common/dom';
import type { Studio } from './studio';

export type { Permissions } from '../common/api.gen';

const PERMISSIONS_ROUTE = '/workspaces/{workspace_id}/permissions';
const cache = new Map<string, Promise<Permissions | null>>();

/** The caller's permissions in `ws` (null on a server without access routes). */
export function permissions(studio: Studio, ws: string, fresh = false): Promise<Permissions | null> {
  if (!studio.routes.has(PERMISSIONS_ROUTE)) {
    return Promise.resolve(null);
  }
  let found = cache.get(ws);
  if (!found || fresh) {
    found = studio.api.call('getPermissions', { workspace_id: ws })
      .catch((): Permissions | null => null);
    cache.set(ws, found);
  }
  return found;
}

/** The class of a control that needs `action` (a key of `Permissions.actions`): hidden in a
 * view marked by applyPermissions where the caller may not take it. */
export function needs(action: string): string {
  return `mlws-needs-${action}`;
}

/** Marks `node` with what the caller may do in `ws`; CSS hides what they may not (delete
 * buttons, `mlws-danger`, by runs_delete; a control of class `needs(action)` by that action). */
export async function applyPermissions(studio: Studio, ws: string, node: HTMLElement):
Promise<void> {
  const perms = await permissions(studio, ws);
  const can = (key: string): boolean => !perms || perms.actions[key] !== false;
  node.dataset.mlwsCanDelete = String(can('runs_delete'));
  node.dataset.mlwsCanWrite = String(can('runs_write'));
  for (const key of Object.keys(perms?.actions ?? {})) {
    node.classList.toggle(`mlws-cannot-${key}`, !can(key));
  }
}

function principalCell(a: RoleAssignment): HTMLElement {
  return h('span', { 'data-principal': a.principal },
    a.principal_type === 'group' ? `${a.principal} (group)` : a.principal);
}

function assignForm(studio: Studio, ws: string, roles: RoleDefinition[], error: HTMLElement,
  onDone: () => void): HTMLElement {
  const role = h('select', { className: 'mlws-input mlws-access-role', 'aria-label': 'Role' },
    ...roles.map(r => h('option', { value: r.name, title: r.description }, r.name)));
  const who = h('input', { className: 'mlws-input mlws-access-principal',
    'aria-label': 'User or group', placeholder: 'user or group name' });
  const kind = h('select', { className: 'mlws-input mlws-access-kind', 'aria-label': 'Kind' },
    h('option', { value: 'user' }, 'user'), h('option', { value: 'group' }, 'group'));
  const button = h('button', { className: 'mlws-button mlws-small mlws-primary', type: 'button',
    'aria-label': 'Assign role' }, 'Assign') as HTMLButtonElement;
  button.onclick = async () => {
    error.textContent = '';
    if (!who.value.trim()) {
      error.textContent = 'Name a user or a group.';
      return;
    }
    button.disabled = true;
    try {
      await studio.api.call('assignRole', { workspace_id: ws }, undefined, {
        role: role.value, principal: who.value.trim(),
        principal_type: kind.value === 'group' ? 'group' : 'user'
      });
      onDone();
    } catch (err) {
      error.textContent = `Could not assign: ${errorMessage(err)}`;
      button.disabled = false;
    }
  };
  return h('div', { className: 'mlws-toolbar mlws-access-form' }, role, who, kind, button);
}

function removeButton(studio: Studio, a: RoleAssignment, error: HTMLElement,
  onDone: () => void): HTMLElement {
  const button = h('button', { className: 'mlws-button mlws-small mlws-access-remove',
    type: 'button', 'aria-label': `Remove ${a.role} of ${a.principal}` },
  'Remove') as HTMLButtonElement;
  button.onclick = async () => {
    button.disabled = true;
    try {
      await studio.api.call('removeRoleAssignment', { assignment_id: a.id });
      onDone();
    } catch (err) {
      error.textContent = `Could not remove: ${errorMessage(err)}`;
      button.disabled = false;
    }
  };
  return button;
}

/** The Access section of workspace `ws`, or null when the server has no access routes. */
export async function accessSection(studio: Studio, ws: string, onRefresh: () => void):
Promise<HTMLElement | null> {
  const perms = await permissions(studio, ws, true);
  if (!perms) {
    return null;
  }
  const section = h('section', { className: 'mlws-section mlws-access-section',
    'aria-label': 'Access', 'data-user': perms.user },
  h('div', { className: 'mlws-section-head' }, h('h3', null, 'Access'),
    h('span', { className: 'mlws-muted mlws-access-who', title: perms.user ?? '' },
      perms.user ? `you: ${perms.user}` : '')));
  const error = h('p', { className: 'mlws-access-error', role: 'alert' });
  const can = perms.actions;
  if (!perms.access_control) {
    section.append(h('p', { className: 'mlws-muted mlws-indent' },
      'Roles are not enforced on this server (MlwsApp.access_control is off).'));
  }
  if (can.role_assignments_read) {
    try {
      const { assignments } = await studio.api.call('listRoleAssignments',
        { workspace_id: ws });
      const rows = assignments.map(a => [principalCell(a), a.role,
        a.workspace_id ? 'this workspace' : 'every workspace',
        can.role_assignments_write && a.workspace_id
          ? removeButton(studio, a, error, onRefresh) : '']);
      section.append(rows.length
        ? table(['Who', 'Role', 'Scope', ''], rows, 'mlws-table mlws-compact mlws-access-table')
        : emptyState('No role assignments yet.'));
      if (can.role_assignments_write) {
        const { roles } = await studio.api.call('listRoleDefinitions', {});
        section.append(assignForm(studio, ws, roles, error, onRefresh));
      }
    } catch (err) {
      section.append(emptyState(`Role assignments could not be read: ${errorMessage(err)}`));
    }
  }
  if (can.secrets_read) {
    section.append(h('h4', { className: 'mlws-subhead' }, 'Key vault'));
    try {
      const { secrets } = await studio.api.call('listSecrets', { workspace_id: ws });
      section.append(secrets.length
        ? table(['Secret', 'Version', 'Set', 'By'], secrets.map(s => [
          h('span', { 'data-secret': s.name }, s.name), String(s.version),
          formatTime(s.created_time), s.created_by]),
        'mlws-table mlws-compact mlws-secrets-table')
        : emptyState('No secrets.',
          'In a notebook: ws.get_default_keyvault().set_secret("name", value).'));
    } catch (err) {
      section.append(emptyState(`Secrets could not be listed: ${errorMessage(err)}`));
    }
  }
  if (can.audit_read) {
    section.append(h('h4', { className: 'mlws-subhead' }, 'Audit log'));
    try {
      const { events } = await studio.api.call('listAudit', { workspace_id: ws },
        { limit: 20 });
      section.append(events.length
        ? table(['When', 'Who', 'What', ''], events.map(e => [formatTime(e.time), e.actor,
          `${e.action.replace('Microsoft.MachineLearningServices/workspaces/', '')} ${e.target}`,
          h('span', { className: `mlws-audit-${e.outcome}` }, e.outcome)]),
        'mlws-table mlws-compact mlws-audit-table')
        : h('p', { className: 'mlws-muted mlws-indent' }, 'Nothing audited yet.'));
    } catch (err) {
      section.append(emptyState(`The audit log could not be read: ${errorMessage(err)}`));
    }
  }
  section.append(error);
  return section;
}
