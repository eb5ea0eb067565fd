import type { JsonObject } from '../../../domain/json';
import type { ApplicationDoc } from '../../../projections/readModels';

export const DEFAULT_ORGANIZATION_ID = 'org_default';

export const applicationOut = (a: ApplicationDoc, organizationId: string = DEFAULT_ORGANIZATION_ID): JsonObject => ({
  id: a.id,
  name: a.name,
  organizationId,
});
