/** The trained model as TensorFlow.js artifacts: what model.json and weights.bin are made of. */
import * as tf from '@tensorflow/tfjs';

export interface ModelArtifacts {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  /** float32 little-endian values of every weight, in weightSpecs order. */
  weightData: ArrayBuffer;
}

export async function saveModel(model: tf.LayersModel): Promise<ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    saved = artifacts;
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
  }));
  if (!saved?.modelTopology || !saved.weightSpecs || !saved.weightData) throw new Error('model.save produced no artifacts');
  const data = saved.weightData;
  return {
    modelTopology: saved.modelTopology as object,
    weightSpecs: saved.weightSpecs,
    weightData: Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data,
  };
}

/** The model.json a client loads with tf.loadLayersModel, its weights at `weightsPath`. */
export function modelJson(artifacts: Pick<ModelArtifacts, 'modelTopology' | 'weightSpecs'>, weightsPath: string) {
  return {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [weightsPath], weights: artifacts.weightSpecs }],
  };
}
