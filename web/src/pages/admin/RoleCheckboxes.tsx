import { useId } from 'preact/hooks';
import { ROLES } from '../../../../shared/core/roles';
import type { Role } from '../../api/types';
import { t } from '../../i18n';

export const roleName = (role: Role) => t(`admin.role.${role}`);

export interface RoleCheckboxesProps {
  readonly legend: string;
  readonly value: readonly Role[];
  readonly onValue: (roles: Role[]) => void;
}

/** The roles as labelled checkboxes in a fieldset, each with what it allows. */
export function RoleCheckboxes({ legend, value, onValue }: RoleCheckboxesProps) {
  const id = useId();
  const toggle = (role: Role, on: boolean) =>
    onValue(ROLES.filter((r) => (r === role ? on : value.includes(r))));
  return (
    <fieldset class="admin-roles">
      <legend>{legend}</legend>
      {ROLES.map((role) => (
        <div class="admin-check" key={role}>
          <input
            type="checkbox"
            id={`${id}-${role}`}
            name="roles"
            value={role}
            checked={value.includes(role)}
            aria-describedby={`${id}-${role}-hint`}
            onChange={(event) => toggle(role, (event.currentTarget as HTMLInputElement).checked)}
          />
          <label for={`${id}-${role}`}>{roleName(role)}</label>
          <span class="hint" id={`${id}-${role}-hint`}>
            {t(`admin.role.${role}.hint`)}
          </span>
        </div>
      ))}
    </fieldset>
  );
}
