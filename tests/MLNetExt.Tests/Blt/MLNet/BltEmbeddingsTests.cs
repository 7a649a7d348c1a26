using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt.MLNet;

[TestClass]
public sealed class BltEmbeddingsTests
{
    [TestMethod]
    public void EmbeddingsAreTheMeanLatentPatchStateOfEachRow()
    {
        var ml = new MLContext(seed: 1);
        var model = BltMLNetData.TinyModel();
        var data = BltMLNetData.Texts(ml, BltMLNetData.OddTexts);
        var estimator = ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = model, OutputColumnName = "Features" });
        var scored = estimator.Fit(data).Transform(data);

        Assert.AreEqual(new VectorDataViewType(NumberDataViewType.Single, model.Config.GlobalConfig.HiddenSize), scored.Schema["Features"].Type);
        var vectors = scored.GetColumn<float[]>("Features").ToArray();
        for (int i = 0; i < BltMLNetData.OddTexts.Length; i++)
        {
            var batch = BltBatch.ForInference([ByteTokenizer.Encode(BltMLNetData.OddTexts[i])]);
            float[] expected;
            using (no_grad())
            {
                var layout = model.Patch(batch);
                var (_, latent) = model.Encode(batch, layout);                 // (1, P, Dg)
                expected = latent[0].mean([0]).data<float>().ToArray();       // a single row: every patch is real
            }
            for (int d = 0; d < expected.Length; d++) Assert.AreEqual(expected[d], vectors[i][d], 1e-4f, $"row {i} dim {d}");
        }
    }

    [TestMethod]
    public void OutputShapeMatchesTheFittedSchema()
    {
        var ml = new MLContext(seed: 1);
        var model = BltMLNetData.TinyModel();
        var data = BltMLNetData.Texts(ml, ["abc"]);
        var estimator = ml.Transforms.Text.BltEmbeddings(new BltEmbeddingsOptions { Model = model });
        Assert.IsTrue(estimator.GetOutputSchema(SchemaShape.Create(data.Schema)).TryFindColumn("Features", out var shape));
        Assert.IsTrue(SchemaShape.Create(estimator.Fit(data).GetOutputSchema(data.Schema)).TryFindColumn("Features", out var fitted));
        Assert.IsTrue(shape.IsCompatibleWith(fitted), $"{shape} vs {fitted}");
    }
}
