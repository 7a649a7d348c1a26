using Microsoft.ML;
using Microsoft.ML.Data;
using MLNetExt.Blt;
using MLNetExt.Blt.MLNet;
using MLNetExt.Tests.MLNet;

namespace MLNetExt.Tests.Blt.MLNet;

[TestClass]
public sealed class BltPatchesTests
{
    static List<(int[] Lengths, float[] Entropies)> Read(IDataView scored)
    {
        var rows = new List<(int[], float[])>();
        using var cursor = scored.GetRowCursor(scored.Schema);
        var patches = cursor.GetGetter<VBuffer<int>>(scored.Schema["Patches"]);
        var entropies = cursor.GetGetter<VBuffer<float>>(scored.Schema["Entropies"]);
        VBuffer<int> p = default;
        VBuffer<float> h = default;
        while (cursor.MoveNext())
        {
            patches(ref p);
            entropies(ref h);
            rows.Add((p.DenseValues().ToArray(), h.DenseValues().ToArray()));
        }
        return rows;
    }

    [TestMethod]
    public void PatchesEqualTheCorePatcherForEveryRowOfABatch()
    {
        var ml = new MLContext(seed: 1);
        var model = BltMLNetData.TinyModel();
        var texts = BltMLNetData.OddTexts.Concat(ToyData.Rows(12).Select(r => r.Text + " and some more words")).ToArray();
        var transformer = ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = model }).Fit(BltMLNetData.Texts(ml, texts));
        var rows = Read(transformer.Transform(BltMLNetData.Texts(ml, texts)));

        Assert.HasCount(texts.Length, rows);
        Assert.AreEqual(1L, transformer.ModelCalls, "all rows fit one batch");
        for (int i = 0; i < texts.Length; i++)
        {
            var ids = ByteTokenizer.Encode(texts[i]);
            var layout = model.Patch(BltBatch.ForInference([ids]));
            CollectionAssert.AreEqual(layout.PatchLengths[0], rows[i].Lengths, $"row {i}");
            Assert.AreEqual(ids.Length, rows[i].Lengths.Sum());
            using var h = model.EntropyModel!.Entropies(BltBatch.ForInference([ids]));
            var expected = h.data<float>().ToArray();
            Assert.HasCount(ids.Length, rows[i].Entropies);
            for (int t = 0; t < ids.Length; t++) Assert.AreEqual(expected[t], rows[i].Entropies[t], 1e-4f, $"row {i} byte {t}");
        }
        Assert.IsTrue(rows.Any(r => r.Lengths.Length > 2 && r.Lengths.Skip(1).Distinct().Count() > 1), "boundaries are real and varied");
    }

    [TestMethod]
    public void ByteColumnsTakeRawBytesAndStringsEncodeLoneSurrogatesAsReplacement()
    {
        var ml = new MLContext(seed: 1);
        var model = BltMLNetData.TinyModel();
        // U+FFFD's UTF-8 bytes, then invalid UTF-8 (a lone continuation byte and 0xFF) that only a byte column can carry.
        var bytes = ml.Data.LoadFromEnumerable(new[] { new BytesRow { Bytes = [0x61, 0xEF, 0xBF, 0xBD, 0x62] }, new BytesRow { Bytes = [0x80, 0xFF, 0x00] } });
        var fromBytes = Read(ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = model, InputColumnName = "Bytes" }).Fit(bytes).Transform(bytes));
        var text = BltMLNetData.Texts(ml, ["a\uD800b"]);
        var fromText = Read(ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = model }).Fit(text).Transform(text));

        CollectionAssert.AreEqual(fromBytes[0].Lengths, fromText[0].Lengths);
        CollectionAssert.AreEqual(fromBytes[0].Entropies, fromText[0].Entropies);
        Assert.HasCount(4, fromBytes[1].Entropies);
        var ids = ByteTokenizer.Encode(new byte[] { 0x80, 0xFF, 0x00 });
        CollectionAssert.AreEqual(model.Patch(BltBatch.ForInference([ids])).PatchLengths[0], fromBytes[1].Lengths);
    }

    [TestMethod]
    public void AModelFolderPatchesLikeTheModelItCameFrom()
    {
        var ml = new MLContext(seed: 1);
        var model = BltMLNetData.TinyModel();
        using var dir = new PersistenceTests.TempDir();
        BltCheckpoint.Save(model, dir.Root);
        var data = BltMLNetData.Texts(ml, BltMLNetData.OddTexts);
        var fromFolder = ScoringHost.ScoreDump.ToText(ml.Transforms.Text.BltPatches("Patches", "Text", dir.Root).Fit(data).Transform(data), "Patches", "Entropies");
        var fromModel = ScoringHost.ScoreDump.ToText(ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = model }).Fit(data).Transform(data), "Patches", "Entropies");
        Assert.AreEqual(fromModel, fromFolder);
    }

    [TestMethod]
    public void ABltWithoutAnEntropyModelIsRefusedByName()
    {
        var ml = new MLContext(seed: 1);
        var model = new BltModel(BltSource.Preset(BltSize.Tiny));
        var error = Assert.Throws<ArgumentException>(() => ml.Transforms.Text.BltPatches(new BltPatchesOptions { Model = model }).Fit(BltMLNetData.Texts(ml, ["x"])));
        StringAssert.Contains(error.Message, "no entropy model");
    }
}
