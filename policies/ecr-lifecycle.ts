/** ECR lifecycle policies (their own grammar, not IAM's). */

export interface LifecycleRule {
  rulePriority: number;
  description: string;
  selection: {
    tagStatus: "untagged";
    countType: "sinceImagePushed";
    countUnit: "days";
    countNumber: number;
  };
  action: { type: "expire" };
}

export function untaggedExpiryPolicy(days: number): { rules: LifecycleRule[] } {
  return {
    rules: [
      {
        rulePriority: 1,
        description: `Expire untagged images ${days} days after push`,
        selection: {
          tagStatus: "untagged",
          countType: "sinceImagePushed",
          countUnit: "days",
          countNumber: days,
        },
        action: { type: "expire" },
      },
    ],
  };
}
