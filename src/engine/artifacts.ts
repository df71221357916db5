/** The trained model as TensorFlow.js artifacts: what model.json and weights.bin are made of. */
import * as tf from '@tensorflow/tfjs';
import type { ModelArtifacts } from '../domain/records.ts';

export type { ModelArtifacts };

export async function saveModel(model: tf.LayersModel): Promise<ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.modelTopology || !saved.weightSpecs || !saved.weightData) throw new Error('model.save produced no artifacts');
  const data = saved.weightData;
  return {
    modelTopology: saved.modelTopology,
    weightSpecs: saved.weightSpecs,
    weightData: Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data,
  };
}
