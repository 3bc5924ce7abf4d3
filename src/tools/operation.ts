import type { z } from 'zod';
import type { AppContext } from '../context.js';
import type { Role } from '../modules/tenancy/entities.js';

export type Annotations = {
  /** Changes nothing. Read-only operations run without a transaction. */
  readOnly: boolean;
  /** May remove or irreversibly change data. */
  destructive: boolean;
  /** Calling it twice with the same input has the effect of calling it once. */
  idempotent: boolean;
};

export type Access = {
  /** Key roles that may call it; `admin` may call everything. */
  roles: readonly Exclude<Role, 'admin'>[];
  /**
   * Takes `patientId` in its input. In a patient conversation the runner sets it to the
   * conversation's patient, and the model's tool has no such argument at all.
   */
  patientScoped?: boolean;
  /**
   * Takes `conversationId` in its input: the runner sets it to the caller's conversation when there is
   * one (the agent), and the model's tool has no such argument.
   */
  conversationScoped?: boolean;
  /** Returns or changes protected health information: refused in a conversation until verified. */
  phi?: boolean;
  /** Offered as a tool to the patient-facing agent (WhatsApp, SMS, voice). Staff-only otherwise. */
  patientFacing?: boolean;
};

export type HttpBinding = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Below `/api/v1/prm`, OpenAPI style: `/patients/{id}`. Path parameters are input fields. */
  path: string;
  /** Status of a success; 200 unless said. */
  status?: 200 | 201;
};

export type ObjectSchema = z.ZodObject;

/** One capability, defined once; REST, MCP and the agent's tools are built from it. */
export type Operation<Input extends ObjectSchema = ObjectSchema, Output extends ObjectSchema = ObjectSchema> = {
  /** snake_case, unique. */
  name: string;
  title: string;
  /** The model reads this: say what it does and when to use it. */
  description: string;
  /** The OpenAPI tag; the module's name. */
  tag: string;
  input: Input;
  output: Output;
  annotations: Annotations;
  access: Access;
  http: HttpBinding;
  // Method syntax keeps `run` bivariant, so every operation fits the registry's list.
  run(ctx: AppContext, input: z.output<Input>): Promise<z.input<Output>>;
};

export function defineOperation<Input extends ObjectSchema, Output extends ObjectSchema>(
  operation: Operation<Input, Output>,
): Operation<Input, Output> {
  return operation;
}
