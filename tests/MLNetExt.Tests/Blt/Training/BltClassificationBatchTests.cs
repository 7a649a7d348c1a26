using MLNetExt.Blt;
using MLNetExt.Blt.Training;
using static TorchSharp.torch;

namespace MLNetExt.Tests.Blt.Training;

[TestClass]
public sealed class BltClassificationBatchTests
{
    static long[] Document(int ids) => Enumerable.Range(0, ids).Select(i => i == 0 ? ByteTokenizer.Bos : 4L + (i % 90)).ToArray();

    [TestMethod]
    public void TrainingBatchesRespectTheByteBudgetAndTheRowCount()
    {
        int[] lengths = [10, 500, 20, 20, 3000, 30, 40, 600];
        var documents = lengths.Select(Document).ToArray();
        var classes = lengths.Select((_, i) => (long)(i % 3)).ToArray();
        var batches = BltClassificationBatch.Chunk(documents, classes, rowsPerBatch: 4, batchBytes: 600);

        CollectionAssert.AreEqual(documents, batches.SelectMany(b => b.Documents).ToArray(), "every document once, in order");
        CollectionAssert.AreEqual(classes, batches.SelectMany(b => b.Classes).ToArray(), "classes stay with their documents");
        foreach (var batch in batches)
        {
            Assert.IsLessThanOrEqualTo(4, batch.Documents.Count);
            long bytes = batch.Documents.Sum(d => (long)d.Length);
            Assert.IsTrue(bytes <= 600 || batch.Documents.Count == 1, $"a batch of {batch.Documents.Count} documents holds {bytes} ids");
        }
        CollectionAssert.AreEqual(new[] { 4, 1, 2, 1 }, batches.Select(b => b.Documents.Count).ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => BltClassificationBatch.Chunk(documents, classes, 4, batchBytes: 0));
    }

    [TestMethod]
    public void TheLossOfAMixedLengthShardIsTheSumOfEachDocumentsLoss()
    {
        set_num_threads(1);
        manual_seed(2);
        var task = new BltClassificationTask(TinyBlt.Config(PatchingMode.Static), classes: 3, pretrained: null);
        using var model = task.CreateModel(CPU);
        var rng = new Random(4);
        var documents = new[] { 12, 400, 30, 350, 8 }.Select(n => TinyBlt.RandomDocument(rng, n)).ToArray();
        var shard = new BltClassificationBatch(documents, [0, 1, 2, 0, 1]);

        var loss = task.Loss(model, shard, CPU);
        Assert.AreEqual(5L, loss.Count);
        double alone = Enumerable.Range(0, documents.Length)
            .Sum(i => task.Loss(model, new BltClassificationBatch([documents[i]], [shard.Classes[i]]), CPU).Sum.item<float>());
        Assert.AreEqual(alone, loss.Sum.item<float>(), 1e-4 * Math.Abs(alone));
        loss.Sum.backward();
        Assert.IsTrue(model.parameters().Where(p => p.requires_grad).All(p => p.grad is not null), "every trainable parameter gets a gradient");
    }
}
